import ArgumentParser
import Foundation
import PaddleInference

/// `paddle-swift info [MODEL]`: the engine, the CPU features it can use, and a model's format, inputs and outputs.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the engine, the CPU features it can use, and a model's format, inputs and outputs.")

    @Argument(help: "A model directory, or a program file (.pdmodel, .json, __model__). Optional.")
    var model: String?

    @OptionGroup var engine: EngineOptions

    func run() throws {
        try PaddleRuntime.load()
        let cpu = CPUFeatures.current
        print("engine:  Paddle Inference \(PaddleRuntime.version ?? "?") (\(PaddleRuntime.directory ?? "?"))")
        print("cpu:     \(cpu)")
        print("bfloat16: \(cpu.supportsBFloat16 ? "yes" : "no (needs AVX-512: oneDNN avx512_core or better)")")
        print("threads: \(engine.threads) math thread\(engine.threads == 1 ? "" : "s") per predictor (--threads); "
            + "\(ProcessInfo.processInfo.activeProcessorCount) cores available")
        guard let model else { return }
        let config = try engine.config(model: model)
        let predictor = try Predictor(config: config)
        print("model:   \(model)")
        print("format:  \(config.format)")
        switch config.source {
        case .files(let program, let params):
            print("program: \(program)")
            print("params:  \(params)")
        case .directory(let dir):
            print("directory: \(dir)")
        case .memory: break
        }
        print("oneDNN:  \(config.resolvedOneDNN ? "on" : "off")")
        print("inputs:")
        for info in predictor.inputs { print("  \(info)") }
        print("outputs:")
        for info in predictor.outputs { print("  \(info)") }
    }
}

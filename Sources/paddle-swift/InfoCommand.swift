import ArgumentParser
import PaddleInference

/// `paddle-swift info MODEL`: format, inputs and outputs.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show a model's format, inputs and outputs.")

    @Argument(help: "A model directory, or a program file (.pdmodel, .json, __model__).")
    var model: String

    @OptionGroup var engine: EngineOptions

    func run() throws {
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
        print("engine:  Paddle Inference \(PaddleRuntime.version ?? "?")")
        print("inputs:")
        for info in predictor.inputs { print("  \(info)") }
        print("outputs:")
        for info in predictor.outputs { print("  \(info)") }
    }
}

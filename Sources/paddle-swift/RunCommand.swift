import ArgumentParser
import Foundation
import PaddleInference

/// `paddle-swift run MODEL --input NAME=FILE.npy ... --output DIR`: one inference from NumPy files.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on NumPy .npy inputs and write one .npy per output.",
        discussion: """
            Inputs are given as NAME=FILE.npy. Every output is written to DIR/<output-name>.npy ('/' in names \
            becomes '_'). bfloat16 tensors are read and written as uint16 bit patterns.
            """)

    @Argument(help: "A model directory, or a program file (.pdmodel, .json, __model__).")
    var model: String

    @Option(name: .long, help: "An input as NAME=FILE.npy (repeat for each input).")
    var input: [String] = []

    @Option(name: .long, help: "The folder for the output .npy files (created if needed).")
    var output: String

    @OptionGroup var engine: EngineOptions

    func validate() throws {
        for item in input where !item.contains("=") {
            throw ValidationError("--input takes NAME=FILE.npy, got '\(item)'")
        }
    }

    func run() throws {
        let predictor = try Predictor(config: try engine.config(model: model))
        var inputs: [String: Tensor] = [:]
        for item in input {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            let declared = predictor.inputs.first { $0.name == name }?.dataType
            inputs[name] = try Tensor(npyFile: parts[1], as: declared == .bfloat16 ? .bfloat16 : nil)
        }
        let outputs = try predictor.run(inputs)
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw PaddleError(.invalidArgument, "cannot create \(output): \(error.localizedDescription)")
        }
        for info in predictor.outputs {
            guard let tensor = outputs[info.name] else { continue }
            let file = output + "/" + info.name.replacingOccurrences(of: "/", with: "_") + ".npy"
            try tensor.writeNPY(to: file)
            print("\(info.name): \(tensor.dataType) \(tensor.shape) -> \(file)")
        }
    }
}

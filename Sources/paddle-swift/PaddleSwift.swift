import ArgumentParser
import PaddleInference

/// The `paddle-swift` command: Paddle models from Swift, with no Python.
@main
struct PaddleSwift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paddle-swift",
        abstract: "Run and serve Paddle Inference models from Swift, with no Python.",
        discussion: "`paddle-swift --version` prints the tool's version and the engine's.",
        subcommands: [
            InfoCommand.self, RunCommand.self, BenchCommand.self, OCRCommand.self, WaybillCommand.self, ServeCommand.self,
        ]
    )

    /// Parses and runs the command, then leaves through ``ProcessExit`` rather than returning to `exit()`.
    static func main() async {
        if CommandLine.arguments.dropFirst().first == "serve" { EarlySignals.install() }
        // `--version` is handled here rather than by ArgumentParser's built-in flag, which every subcommand's help
        // would list beside `ocr --version` (the model generation).
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            ProcessExit.write(versionText() + "\n", toStandardError: false)
            ProcessExit.now(0)
        }
        let code: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch {
            code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if !message.isEmpty {
                ProcessExit.write(message + "\n", toStandardError: code != 0)
            }
        }
        ProcessExit.now(code)
    }

    /// `paddle-swift --version`: the tool's version, then the engine's (or why it could not be loaded).
    static func versionText() -> String {
        let engine: String
        do {
            try PaddleRuntime.load()
            engine = "Paddle Inference \(PaddleRuntime.version ?? "?") (\(PaddleRuntime.directory ?? "?"))"
        } catch {
            engine = "Paddle Inference \(PaddleRuntime.supportedVersion) expected, not loaded: \(error)"
        }
        return "paddle-swift \(PaddleSwiftVersion.current)\n\(engine)"
    }
}

/// Options shared by the commands that build a predictor.
struct EngineOptions: ParsableArguments {
    @Option(help: "CPU math threads per predictor.")
    var threads: Int = 1

    @Option(help: "oneDNN acceleration: on, off, or auto (off for PIR .json models, on otherwise).")
    var onednn: OnOff = .auto

    @Option(name: .customLong("memory-optim"),
            help: "The engine's memory-reuse optimisation: on, off, or auto (on except for PIR .json models).")
    var memoryOptim: OnOff = .auto

    @Option(help: "The params file, when it is not beside the program file with the same stem.")
    var params: String?

    enum OnOff: String, ExpressibleByArgument, CaseIterable {
        case on, off, auto
    }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// A config for `model` with these options.
    func config(model: String) throws -> Config {
        var config = try Config(model: model, params: params)
        config.cpuThreads = threads
        switch memoryOptim {
        case .on: config.memoryOptim = true
        case .off: config.memoryOptim = false
        case .auto: config.memoryOptim = nil
        }
        switch onednn {
        case .on: config.oneDNN = true
        case .off: config.oneDNN = false
        case .auto: config.oneDNN = nil
        }
        return config
    }
}

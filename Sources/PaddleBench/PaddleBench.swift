import ArgumentParser

/// `paddle-bench`: micro-benchmarks of paddle-swift's own code paths, one subcommand each (`bench/<name>/run.sh`
/// runs one with its settings and writes its results). The engine benchmarks are `paddle-swift bench`.
@main
struct PaddleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paddle-bench",
        abstract: "Micro-benchmarks of paddle-swift's own code (the engine's are `paddle-swift bench`).",
        subcommands: [JSONBenchCommand.self, LoadCacheBenchCommand.self]
    )
}

/// The version of paddle-swift: its libraries, the `paddle-swift` command, and the server's `GET /v2` metadata.
///
/// One constant, raised with each entry of `CHANGELOG.md`. The engine's own version is
/// ``PaddleRuntime/version`` (known once the runtime is loaded).
public enum PaddleSwiftVersion {
    /// The semantic version, for example `"0.4.0"`.
    public static let current = "0.4.0"
}

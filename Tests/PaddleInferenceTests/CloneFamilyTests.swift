import Foundation
import Testing

@testable import PaddleInference

/// Releasing a clone leaves the rest of its family working (oneDNN on, a convolutional model).
///
/// Paddle 3.3.1 breaks a clone family when one clone is destroyed while the others live: their next runs fail with
/// "The Filter tensor's layout should be ONEDNN, but got NCHW" or "could not reshape a memory descriptor". The
/// binding keeps released clones' engine predictors for the family's next clones (``Native/Family``).
@Suite(.serialized) struct CloneFamilyTests {
    static func config() throws -> Config {
        var config = try Config(model: Fixtures.recV4)
        config.cpuThreads = 1
        config.oneDNN = true
        return config
    }

    static func input(width: Int) throws -> [String: Tensor] {
        ["x": try Fixtures.randomFloats(shape: [2, 3, 48, width], seed: UInt64(width))]
    }

    @Test func destroyingAClone_keepsTheOriginalAndItsSiblingsRunning() throws {
        let original = try Predictor(config: Self.config())
        let first = try original.clone()
        let second = try original.clone()
        let inputs = try [320, 352].map { try Self.input(width: $0) }
        let expected = try inputs.map { try original.run($0) }
        for predictor in [first, second] { _ = try predictor.run(inputs[0]) }

        first.destroy()
        #expect(try original.run(inputs[0]) == expected[0])
        #expect(try original.run(inputs[1]) == expected[1], "a new input size after the clone was destroyed")
        #expect(try second.run(inputs[1]) == expected[1])
        second.destroy()
        original.destroy()
    }

    @Test func destroyingACloneThatNeverRan_keepsTheOriginalRunning() throws {
        let original = try Predictor(config: Self.config())
        let input = try Self.input(width: 320)
        let expected = try original.run(input)
        try original.clone().destroy()
        #expect(try original.run(input) == expected)
        original.destroy()
    }

    /// Clones made, run and released one after another (a clone per job) all give the original's results.
    @Test func clonePerJob_everyCloneMatchesTheOriginal() throws {
        let original = try Predictor(config: Self.config())
        let input = try Self.input(width: 384)
        let expected = try original.run(input)
        for job in 0..<6 {
            let clone = try original.clone()
            #expect(try clone.run(input) == expected, "job \(job)")
            clone.destroy()
        }
        #expect(try original.run(input) == expected)
        original.destroy()
    }
}

import PaddleInference
import PaddleTestSupport
import Testing

@testable import PaddleModelRepository

/// Weight families on the real engine (the tiny MLP, oneDNN on): which loads join a family, when a family is closed
/// to new pools, and when it goes. The reload stress that found why families are bounded is
/// `bench/soak/shared_weights_stress.py` (docs/soak.md).
@Suite struct SharedWeightsTests {
    static func config() throws -> Config {
        var config = try Config(model: TestEnvironment.fixtureModel("mlp_tiny_pdmodel"))
        config.cpuThreads = 1
        config.oneDNN = true
        return config
    }

    static let input: [String: Tensor] = {
        let values = (0..<16).map { Float($0) / 16 - 0.5 }
        return ["x": try! Tensor(shape: [1, 16], scalars: values)]
    }()

    @Test func family_closedAfterItsCloneLimit_nextLoadStartsANewOne_andEachGoesWithItsLastMember() async throws {
        let config = try Self.config()
        let key = try #require(SharedWeights.key(for: config))
        let shared = SharedWeights(cloneLimit: 4)
        let options = PredictorPool.Options(size: 2)
        let single = try PredictorPool(config: config, options: .init(size: 1))
        let expected = try await single.run(Self.input)
        await single.shutdown()

        let first = try shared.pool(key: key, config: config, options: options)
        let second = try shared.pool(key: key, config: config, options: options)
        #expect(!first.joined && second.joined)
        #expect(shared.count == 1)
        // The family has made 4 clones: the next load reads the weights again, in a family of its own.
        let third = try shared.pool(key: key, config: config, options: options)
        #expect(!third.joined)
        #expect(shared.count == 2)
        for pool in [first.pool, second.pool, third.pool] { #expect(try await pool.run(Self.input) == expected) }

        await first.pool.shutdown()
        shared.leave(first.membership)
        #expect(shared.count == 2)
        #expect(try await second.pool.run(Self.input) == expected, "a member outlives the one that made the family")
        await second.pool.shutdown()
        shared.leave(second.membership)
        shared.leave(second.membership)  // a second leave of one pool counts nothing
        #expect(shared.count == 1)

        // The open family (2 clones made) takes one more pool of 2.
        let fourth = try shared.pool(key: key, config: config, options: options)
        #expect(fourth.joined)
        #expect(try await fourth.pool.run(Self.input) == expected)
        for member in [third, fourth] {
            await member.pool.shutdown()
            shared.leave(member.membership)
        }
        #expect(shared.count == 0)
    }
}

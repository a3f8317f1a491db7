import PaddleTestSupport
import Testing

@testable import KServeProtocol
@testable import PaddleModelRepository

@Suite struct VersionPolicyTests {
    @Test func select_eachPolicy_picksTheRightVersions() {
        let available = [3, 1, 7, 2]
        #expect(VersionPolicy.latest(1).select(from: available) == [7])
        #expect(VersionPolicy.latest(2).select(from: available) == [3, 7])
        #expect(VersionPolicy.latest(9).select(from: available) == [1, 2, 3, 7])
        #expect(VersionPolicy.all.select(from: available) == [1, 2, 3, 7])
        #expect(VersionPolicy.specific([2, 7, 9]).select(from: available) == [2, 7])
        #expect(VersionPolicy.default.select(from: [Int]()) == [])
    }

    @Test func parse_tritonAndShortForms_giveTheSamePolicy() throws {
        let cases: [(String, VersionPolicy)] = [
            ("version_policy: { latest: { num_versions: 2 } }", .latest(2)),
            ("version_policy: { latest: 3 }", .latest(3)),
            ("version_policy: { all: {} }", .all),
            ("version_policy: all", .all),
            ("version_policy: { specific: { versions: [1, 3] } }", .specific([1, 3])),
            ("version_policy: { specific: [4] }", .specific([4])),
            ("pool_size: 2", .all),
            ("version_policy: latest", .latest(1)),
        ]
        for (yaml, policy) in cases {
            #expect(try ManagementSettings.parse(yaml: yaml).resolvedPolicy == policy, "\(yaml)")
        }
    }

    @Test func parse_invalidPolicies_throw400() {
        for yaml in [
            "version_policy: { latest: 0 }", "version_policy: { specific: [] }", "version_policy: newest",
            "version_policy: { all: {}, latest: 2 }", "routing: { weights: { 2: -1 } }",
            "routing: { weights: { two: 5 } }", "routing: { sticky_header: 'x user' }",
        ] {
            let error = #expect(throws: ServingError.self, "\(yaml)") { try ManagementSettings.parse(yaml: yaml) }
            #expect(error?.status == .badRequest)
        }
    }

    @Test func parse_routing_readsWeightsAndStickyHeader() throws {
        let settings = try ManagementSettings.parse(
            yaml: """
                pool_size: 2
                threads: 1
                routing:
                  weights: { 2: 70, 3: 30 }
                  sticky_header: X-User-ID
                """)
        #expect(settings.routing == VersionRouting(weights: [2: 70, 3: 30], stickyHeader: "x-user-id"))
        // The server's own config parser ignores these keys.
        _ = try ModelConfiguration.parse(yaml: "routing: { weights: { 2: 70 } }\nversion_policy: all")
    }
}

@Suite struct VersionRouterTests {
    let router = VersionRouter(routing: VersionRouting(weights: [2: 70, 3: 30], stickyHeader: "x-user-id"))

    @Test func choose_weights70_30_over10000Requests_landWithin3Percent() {
        var generator = SystemRandomNumberGenerator()
        var counts: [Int: Int] = [:]
        for _ in 0..<10_000 {
            counts[router.choose(among: [1, 2, 3], using: &generator)!.version, default: 0] += 1
        }
        #expect(counts[1] == nil)
        #expect(abs(Double(counts[2] ?? 0) / 10_000 - 0.70) <= 0.03, "\(counts)")
        #expect(abs(Double(counts[3] ?? 0) / 10_000 - 0.30) <= 0.03, "\(counts)")
    }

    @Test func choose_stickyKey_staysOnOneVersion_andKeysFollowTheWeights() {
        var generator = SeededGenerator(seed: 7)
        var counts: [Int: Int] = [:]
        for user in 0..<10_000 {
            let key = "user-\(user)"
            let first = router.choose(among: [2, 3], stickyKey: key, using: &generator)!
            #expect(first.reason == .sticky)
            for _ in 0..<3 {
                #expect(router.choose(among: [2, 3], stickyKey: key, using: &generator)!.version == first.version)
            }
            counts[first.version, default: 0] += 1
        }
        #expect(abs(Double(counts[2] ?? 0) / 10_000 - 0.70) <= 0.03, "\(counts)")
    }

    @Test func choose_withoutWeightsOrReadyWeightedVersions_takesTheHighestReady() {
        var generator = SeededGenerator(seed: 1)
        let plain = VersionRouter().choose(among: [1, 4, 2], using: &generator)
        #expect(plain?.version == 4 && plain?.reason == .latest)
        let noWeighted = router.choose(among: [1], using: &generator)
        #expect(noWeighted?.version == 1 && noWeighted?.reason == .latest)
        let onlyThree = router.choose(among: [1, 3], using: &generator)
        #expect(onlyThree?.version == 3 && onlyThree?.reason == .weighted)
        #expect(router.choose(among: [Int](), using: &generator) == nil)
    }

    @Test func stableHash_isFixedAcrossProcesses() {
        // Values computed independently (Python) from the FNV-1a + SplitMix64 definition.
        #expect(VersionRouter.stableHash("") == 0xf52a_15e9_a9b5_e89b)
        #expect(VersionRouter.stableHash("a") == 0x02c0_bdbf_4814_20f8)
        #expect(VersionRouter.stableHash("user-42") == 0x7a15_96f0_e94b_5793)
    }
}

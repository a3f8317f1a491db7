import Foundation
import PaddleInference
import Synchronization

/// Predictor families shared by versions and models whose files are byte-identical: one loaded predictor (the
/// family's template) per set of model files and engine options, and every pool of the family made of its clones,
/// so the weights are in memory once however many versions or models serve them (for example an A/B pair that
/// differs only in `config.yaml` routing or limits, or the same model published under two names).
///
/// Files are identified by their SHA-256 (remembered per file identity, so a reload does not read them again). The
/// engine options that shape a predictor (threads, oneDNN and its cache, IR and memory optimisation, passes, the
/// optimized-program cache) are part of the key: versions with other options get their own family.
///
/// **What is shared.** The template's scope: the weights and the program, read once. Each pool gets new engine
/// clones of the template (their own intermediate tensors and oneDNN kernels), never a clone another pool released:
/// with oneDNN on, Paddle 3.3.1 fails runs of a reused clone ("could not execute a primitive") once another model's
/// runs have made oneDNN's process-wide cache evict shapes, which ended the soak of docs/soak.md
/// (`bench/soak/shared_weights_stress.py` shows it in seconds).
///
/// **What it costs.** A released clone cannot be destroyed while its family lives (that breaks the other clones:
/// docs/engine.md, "Clones"), so it is kept until the family ends. A family therefore takes new pools until it has
/// made ``cloneLimit`` clones; the next load with the same key starts a new family (the weights are read again),
/// and the old one, with its released clones, is freed when its last member leaves. With reloads, memory is at
/// most about one template plus ``cloneLimit`` clones per family that still has a member.
///
/// Only ProgramDesc (`.pdmodel`) models share: Paddle Inference 3.3.1 reloads every weight for each clone of a PIR
/// (`.json`) model, so those load as usual. Nothing is shared across processes: the engine's public API has no way
/// to map weights from shared memory or a file, so each server process (replica) holds its own copy.
///
/// Thread-safe. A template never runs: it is only cloned, under the lock, on the loading Dispatch thread (the
/// engine's `Clone` is thread-safe, and ``PredictorPool`` serialises it with every other creation).
final class SharedWeights: Sendable {
    struct Key: Hashable, Sendable {
        let files: [String]
        let options: String
    }

    /// A pool's place in a family, handed back with ``leave(_:)`` when the pool is released (a second call does
    /// nothing).
    final class Membership: Sendable {
        let key: Key
        fileprivate let family: Int
        fileprivate let left = Atomic<Bool>(false)

        fileprivate init(key: Key, family: Int) {
            self.key = key
            self.family = family
        }
    }

    /// The clones a family makes before the next load with its key starts a new family.
    static let defaultCloneLimit = 16

    /// The clones a family makes before the next load with its key starts a new family (at least one pool joins).
    let cloneLimit: Int

    /// The template of a family: a predictor that serves no request and is only cloned.
    private final class Family: @unchecked Sendable {
        // Used only under `state`'s lock.
        let id: Int
        let template: Predictor
        var members = 0
        var clonesMade = 0

        init(id: Int, template: Predictor) {
            self.id = id
            self.template = template
        }
    }

    private struct State {
        /// The family a load with each key joins.
        var open: [Key: Family] = [:]
        /// Every family with a member, by id (closed ones included).
        var families: [Int: Family] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    init(cloneLimit: Int = SharedWeights.defaultCloneLimit) {
        self.cloneLimit = max(cloneLimit, 1)
    }

    /// The family key of `config`, or `nil` when it cannot share (a PIR model, a model in memory, unreadable files).
    static func key(for config: Config) -> Key? {
        guard config.format != .pirJSON, config.format != .memory else { return nil }
        var files: [String] = []
        for file in config.source.files {
            guard let digest = try? FileDigests.shared.digest(ofFile: file) else { return nil }
            files.append((file as NSString).lastPathComponent + " " + digest.sha256)
        }
        guard !files.isEmpty else { return nil }
        let options = [
            "threads=\(config.cpuThreads)", "onednn=\(config.resolvedOneDNN)",
            "onednn_cache=\(config.oneDNNCacheCapacity.map(String.init) ?? "-")", "ir=\(config.irOptim)",
            "memory_optim=\(config.resolvedMemoryOptim)", "passes=\(config.deletedPasses.joined(separator: ","))",
            "device=\(config.device)", "cache=\(config.optimizationCache?.path ?? "-")",
        ]
        return Key(files: files, options: options.joined(separator: ";"))
    }

    /// A pool of clones of `key`'s family template, loading the template from `config` first if the family has no
    /// member or has made ``cloneLimit`` clones. Blocking: call off the cooperative pool. Returns whether an
    /// existing family was joined, and the membership to hand back to ``leave(_:)``.
    func pool(key: Key, config: Config, options: PredictorPool.Options) throws(PaddleError)
        -> (pool: PredictorPool, joined: Bool, membership: Membership)
    {
        let outcome = state.withLock { state -> Result<(PredictorPool, Bool, Membership), PaddleError> in
            var family = state.open[key]
            if let open = family, open.clonesMade + options.size > cloneLimit {
                // Closed: its members keep it (and its released clones) until the last one leaves.
                state.open[key] = nil
                family = nil
            }
            let joined = family != nil
            if family == nil {
                do throws(PaddleError) {
                    state.nextID += 1
                    family = Family(id: state.nextID, template: try Predictor(config: config))
                } catch {
                    return .failure(error)
                }
            }
            guard let family else { return .failure(PaddleError(.engineFailure, "no weight family")) }
            do throws(PaddleError) {
                let pool = try PredictorPool(template: family.template, options: options)
                family.members += 1
                family.clonesMade += options.size
                state.open[key] = family
                state.families[family.id] = family
                return .success((pool, joined, Membership(key: key, family: family.id)))
            } catch {
                return .failure(error)
            }
        }
        let (pool, joined, membership) = try outcome.get()
        return (pool, joined, membership)
    }

    /// Records that a pool of a family is released (its predictors are; the engine keeps the template until its
    /// last clone is gone); the family goes with its last member.
    func leave(_ membership: Membership) {
        guard !membership.left.exchange(true, ordering: .relaxed) else { return }
        state.withLock { state in
            guard let family = state.families[membership.family] else { return }
            family.members -= 1
            guard family.members <= 0 else { return }
            state.families[family.id] = nil
            if state.open[membership.key] === family { state.open[membership.key] = nil }
        }
    }

    /// The number of families with at least one member.
    var count: Int { state.withLock { $0.families.count } }
}

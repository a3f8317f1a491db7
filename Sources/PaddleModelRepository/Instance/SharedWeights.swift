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
/// Only ProgramDesc (`.pdmodel`) models share: Paddle Inference 3.3.1 reloads every weight for each clone of a PIR
/// (`.json`) model, so those load as usual. Nothing is shared across processes: the engine's public API has no way
/// to map weights from shared memory or a file, so each server process (replica) holds its own copy.
///
/// Thread-safe. The template is used only under the lock, to clone it (on the loading Dispatch thread).
final class SharedWeights: Sendable {
    struct Key: Hashable, Sendable {
        let files: [String]
        let options: String
    }

    /// The template of a family: a predictor that serves no request and is only cloned.
    private final class Family: @unchecked Sendable {
        // Used only under `families`' lock.
        let template: Predictor
        var members = 0

        init(template: Predictor) { self.template = template }
    }

    private let families = Mutex<[Key: Family]>([:])

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
    /// member. Blocking: call off the cooperative pool. Returns whether an existing family was joined.
    func pool(key: Key, config: Config, options: PredictorPool.Options) throws(PaddleError) -> (PredictorPool, joined: Bool) {
        let outcome = families.withLock { families -> Result<(PredictorPool, Bool), PaddleError> in
            let joined = families[key] != nil
            let family: Family
            if let existing = families[key] {
                family = existing
            } else {
                do throws(PaddleError) {
                    family = Family(template: try Predictor(config: config))
                } catch {
                    return .failure(error)
                }
            }
            do throws(PaddleError) {
                let pool = try PredictorPool(template: family.template, options: options)
                family.members += 1
                families[key] = family
                return .success((pool, joined))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Records that a pool of `key`'s family is released; the template goes with the last one.
    func leave(_ key: Key) {
        families.withLock { families in
            guard let family = families[key] else { return }
            family.members -= 1
            if family.members <= 0 { families[key] = nil }
        }
    }

    /// The number of families with at least one member.
    var count: Int { families.withLock { $0.count } }
}

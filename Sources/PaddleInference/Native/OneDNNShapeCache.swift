import Foundation

/// What the binding knows about oneDNN's process-wide primitive cache, to decide which runs may overlap.
///
/// Paddle 3.3.1 keeps one oneDNN cache per process, keyed by the input shapes of a run (a string of all input
/// dims). In its default "cache clearing" mode (a capacity above 0, 10 unless set) every run ends by counting
/// the cached objects *without* the cache's lock (`OneDNNContext::GetCachedObjectsNumber`, from
/// `AnalysisPredictor::MkldnnPostReset`), while a run with input shapes the cache does not hold adds them and, when
/// the cache is full, evicts some other shapes under that lock. A run that changes the shape map while another
/// predictor's run counts it crashes the process (seen with two clones running different batch sizes).
///
/// So a run may overlap other runs only when it cannot change the shape map: when the same predictor already
/// ran these shapes and no eviction can have happened since. Every other run takes ``Native/sharedStateLock``
/// alone. Evictions cannot be observed, so the cache is modelled: below the capacity, new shapes only add; once
/// a new shape could have evicted (the model is full), everything learnt is forgotten, and runs of a predictor
/// are shared again only after it has run those shapes alone once more. Workloads with at most `capacity`
/// distinct input shapes in the process therefore run in parallel after their first runs; workloads with more
/// (which make Paddle rebuild its kernels on most runs anyway) run one at a time.
///
/// The engine's side is described in docs/engine.md, "The oneDNN shape-cache race".
///
/// One assumption: a oneDNN predictor's first run with some shapes stores kernels for them (any model with at
/// least one oneDNN kernel does).
///
/// `@unchecked Sendable`: all state is behind `lock`.
final class OneDNNShapeCache: @unchecked Sendable {
    private struct Key: Hashable {
        let predictor: UInt64
        let shapes: String
    }

    private let lock = NSLock()
    /// Shape keys added to the engine's cache since the start (only tracked until the model is saturated).
    private var added: Set<String> = []
    /// (predictor, shapes) pairs whose runs cannot change the engine's shape map.
    private var known: Set<Key> = []
    /// How many entries of `known` hold each shape key (the shapes known to be in the engine's cache).
    private var present: [String: Int] = [:]
    /// Set once an eviction may have happened: `added` no longer describes the engine's cache.
    private var saturated = false

    /// Whether a run of `predictor` with these input shapes may overlap other runs.
    func mayShare(predictor: UInt64, shapes: String) -> Bool {
        lock.withLock { known.contains(Key(predictor: predictor, shapes: shapes)) }
    }

    /// Records a run made alone. Call it while still holding the shared-state lock alone.
    func recordExclusiveRun(predictor: UInt64, shapes: String, capacity: Int) {
        lock.withLock {
            let key = Key(predictor: predictor, shapes: shapes)
            if present[shapes, default: 0] > 0 {
                // The shapes were in the cache: the run added kernels under them, changed no shape entry.
            } else if !saturated && (added.contains(shapes) || added.count < capacity) {
                added.insert(shapes)
            } else {
                // A new shape entry in a full cache evicted one we cannot name.
                saturated = true
                added.removeAll()
                known.removeAll()
                present.removeAll()
            }
            if known.insert(key).inserted { present[shapes, default: 0] += 1 }
        }
    }

    /// Forgets a predictor that was destroyed.
    func forget(predictor: UInt64) {
        lock.withLock {
            for key in known where key.predictor == predictor {
                known.remove(key)
                present[key.shapes, default: 1] -= 1
                if present[key.shapes] == 0 { present[key.shapes] = nil }
            }
        }
    }

    /// The engine's shape key for a run: every input's dims, each followed by `-`, in the engine's input order.
    static func key(_ shapes: [[Int]]) -> String {
        var text = ""
        for shape in shapes {
            for dimension in shape {
                text += String(dimension)
                text += "-"
            }
        }
        return text
    }
}

/// Greedy CTC decoding (RapidOCR `CTCLabelDecode`): argmax per time step, merge repeats, drop blanks; the score
/// is the mean of the kept steps' probabilities (0 when nothing is kept).
struct CTCDecoder: Sendable {
    let dictionary: CharacterDictionary

    /// Decodes one sequence of `steps` x `classes` probabilities.
    func decode(_ probs: UnsafeBufferPointer<Float>, steps: Int, classes: Int) -> (text: String, score: Double) {
        var text = ""
        var sum = 0.0
        var kept = 0
        var previous = -1
        for t in 0..<steps {
            let row = probs.baseAddress! + t * classes
            var best = 0
            var bestValue = row[0]
            for c in 1..<classes where row[c] > bestValue {
                best = c
                bestValue = row[c]
            }
            if best != 0 && best != previous {
                if best < dictionary.characters.count { text += dictionary.characters[best] }
                sum += Double(bestValue)
                kept += 1
            }
            previous = best
        }
        return (text, kept > 0 ? sum / Double(kept) : 0)
    }
}

import PaddleOCR

/// An OCR line placed in the upright page frame.
struct LayoutLine: Sendable {
    struct Bounds: Sendable, Hashable {
        var minX, maxX, minY, maxY: Double
        var height: Double { maxY - minY }
        var midY: Double { (minY + maxY) / 2 }
    }

    /// Index into the OCR result's lines.
    let index: Int
    let text: String
    let score: Double
    let bounds: Bounds

    /// Whether the two lines share a row: their vertical extents overlap by more than half the smaller height.
    func sharesRow(with other: LayoutLine) -> Bool {
        let overlap = min(bounds.maxY, other.bounds.maxY) - max(bounds.minY, other.bounds.minY)
        return overlap > 0.5 * min(bounds.height, other.bounds.height)
    }
}

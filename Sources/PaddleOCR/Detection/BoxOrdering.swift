/// RapidOCR's box clean-up (`filter_tag_det_res`) and reading order (`sorted_boxes`).
enum BoxOrdering {
    /// Orders each box's points TL,TR,BR,BL, clips to the image (truncating to integers) and drops boxes whose
    /// sides are 3 px or less.
    static func filter(_ boxes: [[PointI]], imageWidth: Int, imageHeight: Int) -> [[PointF]] {
        var out: [[PointF]] = []
        for box in boxes {
            let pts = box.map { PointF(Float($0.x), Float($0.y)) }
            var ordered = orderClockwise(pts)
            for i in 0..<4 {
                ordered[i].x = Float(Int(min(max(ordered[i].x, 0), Float(imageWidth - 1))))
                ordered[i].y = Float(Int(min(max(ordered[i].y, 0), Float(imageHeight - 1))))
            }
            let w = Int(distance(ordered[0], ordered[1]))
            let h = Int(distance(ordered[0], ordered[3]))
            if w <= 3 || h <= 3 { continue }
            out.append(ordered)
        }
        return out
    }

    /// `order_points_clockwise`: left pair by y → TL, BL; right pair by y → TR, BR.
    static func orderClockwise(_ pts: [PointF]) -> [PointF] {
        let xs = stableSorted(pts) { $0.x < $1.x }
        let left = stableSorted(Array(xs[0..<2])) { $0.y < $1.y }
        let right = stableSorted(Array(xs[2..<4])) { $0.y < $1.y }
        return [left[0], right[0], right[1], left[1]]
    }

    /// `sorted_boxes`: by (top-left y, top-left x), then boxes on roughly the same line (|Δy| < 10) left to right.
    static func sorted(_ boxes: [[PointF]]) -> [[PointF]] {
        var b = stableSorted(boxes) { p, q in
            p[0].y != q[0].y ? p[0].y < q[0].y : p[0].x < q[0].x
        }
        let n = b.count
        guard n > 1 else { return b }
        for i in 0..<(n - 1) {
            var j = i
            while j >= 0 {
                if abs(b[j + 1][0].y - b[j][0].y) < 10 && b[j + 1][0].x < b[j][0].x {
                    b.swapAt(j, j + 1)
                    j -= 1
                } else {
                    break
                }
            }
        }
        return b
    }

    /// Float32 Euclidean distance (`np.linalg.norm` of a float32 difference).
    static func distance(_ a: PointF, _ b: PointF) -> Float {
        let dx = a.x - b.x, dy = a.y - b.y
        return (dx * dx + dy * dy).squareRoot()
    }
}

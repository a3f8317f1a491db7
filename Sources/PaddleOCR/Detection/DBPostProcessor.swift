/// DB post-processing (RapidOCR `DBPostProcess`, "fast" score mode): threshold, optional 2x2 dilation,
/// contours, min-area boxes, box score, unclip, and scaling to the destination image.
struct DBPostProcessor: Sendable {
    var threshold: Float = 0.3
    var boxThreshold: Float = 0.5
    var maxCandidates: Int = 1000
    var unclipRatio: Double = 1.6
    var useDilation: Bool = true
    let minSize: Float = 3

    init(options: OCROptions.Detection) {
        threshold = options.threshold
        boxThreshold = options.boxThreshold
        maxCandidates = options.maxCandidates
        unclipRatio = options.unclipRatio
        useDilation = options.useDilation
    }

    init() {}

    /// A detected box in destination coordinates (4 integer points TL,TR,BR,BL per `get_mini_boxes`) and its score.
    struct Candidate: Sendable, Equatable {
        var points: [PointI]
        var score: Double
    }

    /// - Parameters:
    ///   - pred: the probability map (`height * width`, row-major).
    ///   - destWidth/destHeight: the size of the image given to the detector.
    func process(pred: [Float], width: Int, height: Int, destWidth: Int, destHeight: Int) -> [Candidate] {
        let mask = binarize(pred, width: width, height: height)
        let contours = mask.withUnsafeBufferPointer {
            ContourFinder.findContours(mask: $0, width: width, height: height)
        }
        var out: [Candidate] = []
        for contour in contours.prefix(maxCandidates) {
            let (points, sside) = Self.miniBox(contour)
            if sside < minSize { continue }
            let score = pred.withUnsafeBufferPointer { Self.boxScoreFast(pred: $0, width: width, height: height, box: points) }
            if Double(boxThreshold) > score { continue }
            let expanded = unclip(points)
            guard expanded.count >= 1 else { continue }
            let (box, sside2) = Self.miniBox(expanded)
            if sside2 < minSize + 2 { continue }
            let scaled = box.map { p -> PointI in
                let x = (p.x / Float(width) * Float(destWidth)).rounded(.toNearestOrEven)
                let y = (p.y / Float(height) * Float(destHeight)).rounded(.toNearestOrEven)
                return PointI(Int(min(max(x, 0), Float(destWidth))), Int(min(max(y, 0), Float(destHeight))))
            }
            out.append(Candidate(points: scaled, score: score))
        }
        return out
    }

    /// `pred > thresh`, then (optionally) `cv2.dilate` with a 2x2 kernel (anchor (1,1)).
    func binarize(_ pred: [Float], width: Int, height: Int) -> [UInt8] {
        var bitmap = [UInt8](repeating: 0, count: width * height)
        let t = threshold
        pred.withUnsafeBufferPointer { p in
            bitmap.withUnsafeMutableBufferPointer { b in
                for i in 0..<(width * height) where p[i] > t { b[i] = 1 }
            }
        }
        guard useDilation else { return bitmap }
        var out = bitmap
        bitmap.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<height {
                    for x in 0..<width {
                        let i = y * width + x
                        if o[i] != 0 { continue }
                        var v = false
                        if x > 0 && b[i - 1] != 0 { v = true }
                        if y > 0 && (b[i - width] != 0 || (x > 0 && b[i - width - 1] != 0)) { v = true }
                        if v { o[i] = 1 }
                    }
                }
            }
        }
        return out
    }

    /// RapidOCR `get_mini_boxes`: `minAreaRect` → `boxPoints` → [TL, TR, BR, BL]; and the shorter side.
    static func miniBox(_ points: [PointI]) -> ([PointF], Float) {
        let rect = RotatedRect(enclosing: points)
        let sorted = stableSorted(rect.points) { $0.x < $1.x }
        let (tl, bl) = sorted[1].y > sorted[0].y ? (sorted[0], sorted[1]) : (sorted[1], sorted[0])
        let (tr, br) = sorted[3].y > sorted[2].y ? (sorted[2], sorted[3]) : (sorted[3], sorted[2])
        return ([tl, tr, br, bl], min(rect.width, rect.height))
    }

    /// Mean of `pred` over the filled box polygon (inside its clipped bounding rectangle).
    static func boxScoreFast(pred: UnsafeBufferPointer<Float>, width w: Int, height h: Int, box: [PointF]) -> Double {
        let xs = box.map(\.x), ys = box.map(\.y)
        let xmin = min(max(Int(xs.min()!.rounded(.down)), 0), w - 1)
        let xmax = min(max(Int(xs.max()!.rounded(.up)), 0), w - 1)
        let ymin = min(max(Int(ys.min()!.rounded(.down)), 0), h - 1)
        let ymax = min(max(Int(ys.max()!.rounded(.up)), 0), h - 1)
        let mw = xmax - xmin + 1, mh = ymax - ymin + 1
        let polygon = box.map { PointI(Int(Double($0.x) - Double(xmin)), Int(Double($0.y) - Double(ymin))) }
        let mask = PolygonFill.fill(polygon, width: mw, height: mh)
        var sum = 0.0
        var count = 0
        for y in 0..<mh {
            let row = (ymin + y) * w + xmin
            for x in 0..<mw where mask[y * mw + x] {
                sum += Double(pred[row + x])
                count += 1
            }
        }
        return count > 0 ? sum / Double(count) : 0
    }

    /// Expands a box by `area * unclipRatio / perimeter` (shapely on the float points, Clipper on truncated ints).
    func unclip(_ box: [PointF]) -> [PointI] {
        var area = 0.0, length = 0.0
        for i in 0..<box.count {
            let p = box[i], q = box[(i + 1) % box.count]
            area += Double(p.x) * Double(q.y) - Double(q.x) * Double(p.y)
            let dx = Double(q.x) - Double(p.x), dy = Double(q.y) - Double(p.y)
            length += (dx * dx + dy * dy).squareRoot()
        }
        area = abs(area) / 2
        guard length > 0 else { return [] }
        let distance = area * unclipRatio / length
        let path = box.map { PointI(Int($0.x), Int($0.y)) }
        return PolygonOffset.offset(path, delta: distance)
    }
}

/// A stable sort (Python `sorted`, numpy's small-array argsort).
func stableSorted<T>(_ items: [T], by less: (T, T) -> Bool) -> [T] {
    items.enumerated().sorted { a, b in
        if less(a.element, b.element) { return true }
        if less(b.element, a.element) { return false }
        return a.offset < b.offset
    }.map(\.element)
}

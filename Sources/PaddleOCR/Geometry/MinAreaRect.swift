import Foundation

/// A rotated rectangle as returned by `cv2.minAreaRect`: centre, size and angle in degrees.
struct RotatedRect: Sendable, Equatable {
    var center: PointF
    var width: Float
    var height: Float
    var angle: Float

    /// Minimum-area enclosing rectangle of integer points, reproducing OpenCV 4.x `cv2.minAreaRect`
    /// (Sklansky hull, then rotating calipers in single precision with double-precision edge selection).
    init(enclosing points: [PointI]) {
        let hull = ConvexHull.hull(points).map { PointF(Float($0.x), Float($0.y)) }
        let n = hull.count
        center = PointF(0, 0)
        width = 0
        height = 0
        angle = 0
        if n > 2 {
            let out = Self.rotatingCalipers(hull)
            center = PointF(out[0] + (out[2] + out[4]) * 0.5, out[1] + (out[3] + out[5]) * 0.5)
            width = Float((Double(out[2]) * Double(out[2]) + Double(out[3]) * Double(out[3])).squareRoot())
            height = Float((Double(out[4]) * Double(out[4]) + Double(out[5]) * Double(out[5])).squareRoot())
            angle = Float(atan2(Double(out[3]), Double(out[2])))
        } else if n == 2 {
            center = PointF((hull[0].x + hull[1].x) * 0.5, (hull[0].y + hull[1].y) * 0.5)
            let dx = Double(hull[1].x - hull[0].x), dy = Double(hull[1].y - hull[0].y)
            width = Float((dx * dx + dy * dy).squareRoot())
            angle = Float(atan2(dy, dx))
        } else if n == 1 {
            center = hull[0]
        }
        angle = Float(Double(angle) * 180 / Double.pi)
    }

    /// `cv2.boxPoints`: the 4 corners.
    var points: [PointF] {
        let a0 = Double(angle) * Double.pi / 180
        let b = Float(cos(a0)) * 0.5
        let a = Float(sin(a0)) * 0.5
        var p0 = PointF(0, 0), p1 = PointF(0, 0)
        p0.x = center.x - a * height - b * width
        p0.y = center.y + b * height - a * width
        p1.x = center.x + a * height - b * width
        p1.y = center.y - b * height - a * width
        let p2 = PointF(2 * center.x - p0.x, 2 * center.y - p0.y)
        let p3 = PointF(2 * center.x - p1.x, 2 * center.y - p1.y)
        return [p0, p1, p2, p3]
    }

    /// OpenCV's `rotatingCalipers(..., CALIPERS_MINAREARECT)`: returns corner (x, y), width vector, height vector.
    private static func rotatingCalipers(_ points: [PointF]) -> [Float] {
        let n = points.count
        var minArea = Float.greatestFiniteMagnitude
        var invLength = [Float](repeating: 0, count: n)
        var vx = [Float](repeating: 0, count: n), vy = [Float](repeating: 0, count: n)
        var left = 0, bottom = 0, right = 0, top = 0
        var pt0 = points[0]
        var leftX = pt0.x, rightX = pt0.x, topY = pt0.y, bottomY = pt0.y
        for i in 0..<n {
            if pt0.x < leftX { leftX = pt0.x; left = i }
            if pt0.x > rightX { rightX = pt0.x; right = i }
            if pt0.y > topY { topY = pt0.y; top = i }
            if pt0.y < bottomY { bottomY = pt0.y; bottom = i }
            let pt = points[i + 1 < n ? i + 1 : 0]
            let dx = Double(pt.x) - Double(pt0.x), dy = Double(pt.y) - Double(pt0.y)
            vx[i] = Float(dx)
            vy[i] = Float(dy)
            invLength[i] = Float(1 / (dx * dx + dy * dy).squareRoot())
            pt0 = pt
        }
        var orientation: Float = 0
        do {
            var ax = Double(vx[n - 1]), ay = Double(vy[n - 1])
            for i in 0..<n {
                let bx = Double(vx[i]), by = Double(vy[i])
                let convexity = ax * by - ay * bx
                if convexity != 0 {
                    orientation = convexity > 0 ? 1 : -1
                    break
                }
                ax = bx
                ay = by
            }
        }
        var baseA = orientation, baseB: Float = 0
        var seq = [bottom, right, top, left]
        var buf = (left: 0, a: Float(0), width: Float(0), b: Float(0), height: Float(0), bottom: 0)
        for _ in 0..<n {
            // OpenCV 4.11 compares the cosines in double precision (float32 ties pick the wrong edge).
            let a = Double(baseA), b = Double(baseB)
            let dp: [Double] = [
                a * Double(vx[seq[0]]) + b * Double(vy[seq[0]]),
                -b * Double(vx[seq[1]]) + a * Double(vy[seq[1]]),
                -a * Double(vx[seq[2]]) - b * Double(vy[seq[2]]),
                b * Double(vx[seq[3]]) - a * Double(vy[seq[3]]),
            ]
            var maxCos = dp[0] * Double(invLength[seq[0]])
            var mainElement = 0
            for i in 1..<4 {
                let cosAlpha = dp[i] * Double(invLength[seq[i]])
                if cosAlpha > maxCos {
                    mainElement = i
                    maxCos = cosAlpha
                }
            }
            let pindex = seq[mainElement]
            let leadX = vx[pindex] * invLength[pindex]
            let leadY = vy[pindex] * invLength[pindex]
            switch mainElement {
            case 0: baseA = leadX; baseB = leadY
            case 1: baseA = leadY; baseB = -leadX
            case 2: baseA = -leadX; baseB = -leadY
            default: baseA = -leadY; baseB = leadX
            }
            seq[mainElement] += 1
            if seq[mainElement] == n { seq[mainElement] = 0 }
            var dx = points[seq[1]].x - points[seq[3]].x
            var dy = points[seq[1]].y - points[seq[3]].y
            let width = dx * baseA + dy * baseB
            dx = points[seq[2]].x - points[seq[0]].x
            dy = points[seq[2]].y - points[seq[0]].y
            let height = -dx * baseB + dy * baseA
            let area = width * height
            if area <= minArea {
                minArea = area
                buf = (seq[3], baseA, width, baseB, height, seq[0])
            }
        }
        let a1 = buf.a, b1 = buf.b
        let a2 = -buf.b, b2 = buf.a
        let c1 = a1 * points[buf.left].x + points[buf.left].y * b1
        let c2 = a2 * points[buf.bottom].x + points[buf.bottom].y * b2
        let idet = 1 / (a1 * b2 - a2 * b1)
        let px = (c1 * b2 - c2 * b1) * idet
        let py = (a1 * c2 - a2 * c1) * idet
        return [px, py, a1 * buf.width, b1 * buf.width, a2 * buf.height, b2 * buf.height]
    }
}

import Foundation

/// Outward offset of a closed polygon with round joins, reproducing Clipper 6.4 (`pyclipper`)
/// `PyclipperOffset.AddPath(path, JT_ROUND, ET_CLOSEDPOLYGON)` + `Execute(delta)` for `delta > 0`, as used by
/// the DB "unclip" step. Input coordinates are integers (pyclipper truncates floats toward zero).
///
/// Clipper's final union pass only removes self-overlaps and collinear points, which do not change the
/// convex hull that the caller (`minAreaRect`) uses, so the raw offset ring is returned.
enum PolygonOffset {
    static func offset(_ path: [PointI], delta: Double, arcTolerance: Double = 0.25, miterLimit: Double = 2) -> [PointI] {
        // Strip duplicates (closed path).
        var highI = path.count - 1
        guard highI >= 0 else { return [] }
        while highI > 0 && path[0] == path[highI] { highI -= 1 }
        var poly: [PointI] = [path[0]]
        for i in 1...max(highI, 0) where highI >= 1 {
            if poly[poly.count - 1] != path[i] { poly.append(path[i]) }
        }
        guard poly.count >= 3, delta > 0 else { return delta > 0 ? [] : poly }
        // Orientation: Clipper makes outer polygons have positive area (its sign convention).
        if area(poly) < 0 { poly.reverse() }

        let y: Double
        if arcTolerance <= 0 {
            y = 0.25
        } else if arcTolerance > abs(delta) * 0.25 {
            y = abs(delta) * 0.25
        } else {
            y = arcTolerance
        }
        var steps = Double.pi / acos(1 - y / abs(delta))
        if steps > abs(delta) * Double.pi { steps = abs(delta) * Double.pi }
        let sinStep = sin(2 * Double.pi / steps)
        let cosStep = cos(2 * Double.pi / steps)
        let stepsPerRad = steps / (2 * Double.pi)

        let len = poly.count
        var normals: [(x: Double, y: Double)] = []
        normals.reserveCapacity(len)
        for j in 0..<len { normals.append(unitNormal(poly[j], poly[(j + 1) % len])) }

        var out: [PointI] = []
        var k = len - 1
        for j in 0..<len {
            var sinA = normals[k].x * normals[j].y - normals[j].x * normals[k].y
            let src = poly[j]
            func at(_ nx: Double, _ ny: Double) -> PointI {
                PointI(round(Double(src.x) + nx * delta), round(Double(src.y) + ny * delta))
            }
            if abs(sinA * delta) < 1 {
                let cosA = normals[k].x * normals[j].x + normals[j].y * normals[k].y
                if cosA > 0 {
                    out.append(at(normals[k].x, normals[k].y))
                    k = j
                    continue
                }
            } else if sinA > 1 {
                sinA = 1
            } else if sinA < -1 {
                sinA = -1
            }
            if sinA * delta < 0 {
                out.append(at(normals[k].x, normals[k].y))
                out.append(src)
                out.append(at(normals[j].x, normals[j].y))
            } else {
                // Round join.
                let a = atan2(sinA, normals[k].x * normals[j].x + normals[k].y * normals[j].y)
                let n = max(Int(round(stepsPerRad * abs(a))), 1)
                var x = normals[k].x, yy = normals[k].y
                for _ in 0..<n {
                    out.append(at(x, yy))
                    let x2 = x
                    x = x * cosStep - sinStep * yy
                    yy = x2 * sinStep + yy * cosStep
                }
                out.append(at(normals[j].x, normals[j].y))
            }
            k = j
        }
        return out
    }

    /// Clipper's `Round`: half away from zero, truncated to an integer.
    @inline(__always)
    static func round(_ v: Double) -> Int { v < 0 ? Int(v - 0.5) : Int(v + 0.5) }

    /// Clipper's signed area (positive for its "outer" orientation).
    static func area(_ poly: [PointI]) -> Double {
        guard poly.count >= 3 else { return 0 }
        var a = 0.0
        var j = poly.count - 1
        for i in 0..<poly.count {
            a += (Double(poly[j].x) + Double(poly[i].x)) * (Double(poly[j].y) - Double(poly[i].y))
            j = i
        }
        return -a * 0.5
    }

    private static func unitNormal(_ p1: PointI, _ p2: PointI) -> (x: Double, y: Double) {
        if p1 == p2 { return (0, 0) }
        var dx = Double(p2.x - p1.x)
        var dy = Double(p2.y - p1.y)
        let f = 1 / (dx * dx + dy * dy).squareRoot()
        dx *= f
        dy *= f
        return (dy, -dx)
    }
}

/// A point with `Float` (numpy float32) coordinates, used for detector boxes.
struct PointF: Sendable, Hashable {
    var x: Float
    var y: Float
    init(_ x: Float, _ y: Float) {
        self.x = x
        self.y = y
    }
}

/// A point with integer coordinates (contours, clipper paths).
struct PointI: Sendable, Hashable {
    var x: Int
    var y: Int
    init(_ x: Int, _ y: Int) {
        self.x = x
        self.y = y
    }
}

/// Convex hull of integer points reproducing OpenCV's `cv2.convexHull(points, clockwise)` (Sklansky's
/// algorithm, including its output order and cyclic shift); `cv2.minAreaRect` uses `clockwise = true`.
enum ConvexHull {
    static func hull(_ points: [PointI], clockwise: Bool = false) -> [PointI] {
        let total = points.count
        guard total > 0 else { return [] }
        // Sort indices by (x, y, original index).
        let pointer = (0..<total).sorted { a, b in
            let p = points[a], q = points[b]
            if p.x != q.x { return p.x < q.x }
            if p.y != q.y { return p.y < q.y }
            return a < b
        }
        var minYIndex = 0, maxYIndex = 0
        for i in 1..<total {
            let y = points[pointer[i]].y
            if points[pointer[minYIndex]].y > y { minYIndex = i }
            if points[pointer[maxYIndex]].y < y { maxYIndex = i }
        }
        var hullBuf: [Int] = []
        if points[pointer[0]] == points[pointer[total - 1]] {
            hullBuf.append(pointer[0])
        } else {
            var stack = [Int](repeating: 0, count: 2 * total + 8)
            // Upper half.
            let tlCount = sklansky(points, pointer, start: 0, end: maxYIndex, stack: &stack, offset: 0, nsign: -1, sign2: 1)
            let trCount = sklansky(points, pointer, start: total - 1, end: maxYIndex, stack: &stack, offset: tlCount, nsign: -1, sign2: -1)
            var tl = Array(stack[0..<tlCount])
            var tr = Array(stack[tlCount..<(tlCount + trCount)])
            if !clockwise { swap(&tl, &tr) }
            for i in 0..<max(tl.count - 1, 0) { hullBuf.append(pointer[tl[i]]) }
            var i = tr.count - 1
            while i > 0 { hullBuf.append(pointer[tr[i]]); i -= 1 }
            let stopIndex = tr.count > 2 ? tr[1] : tl.count > 2 ? tl[tl.count - 2] : -1
            // Lower half.
            var blCount = sklansky(points, pointer, start: 0, end: minYIndex, stack: &stack, offset: 0, nsign: 1, sign2: -1)
            var brCount = sklansky(points, pointer, start: total - 1, end: minYIndex, stack: &stack, offset: blCount, nsign: 1, sign2: 1)
            var bl = Array(stack[0..<blCount])
            var br = Array(stack[blCount..<(blCount + brCount)])
            if clockwise {
                swap(&bl, &br)
                swap(&blCount, &brCount)
            }
            if stopIndex >= 0 {
                let checkIndex = blCount > 2 ? bl[1] : blCount + brCount > 2 ? br[2 - blCount] : -1
                if checkIndex == stopIndex
                    || (checkIndex >= 0 && points[pointer[checkIndex]] == points[pointer[stopIndex]])
                {
                    blCount = min(blCount, 2)
                    brCount = min(brCount, 2)
                }
            }
            for i in 0..<max(blCount - 1, 0) { hullBuf.append(pointer[bl[i]]) }
            i = brCount - 1
            while i > 0 { hullBuf.append(pointer[br[i]]); i -= 1 }
            hullBuf = cyclicShift(hullBuf)
        }
        return hullBuf.map { points[$0] }
    }

    /// OpenCV's attempt to make the hull indices an ascending or descending cyclic sequence.
    private static func cyclicShift(_ hull: [Int]) -> [Int] {
        let nout = hull.count
        guard nout >= 3 else { return hull }
        var minIdx = 0, maxIdx = 0, lt = 0
        for i in 1..<nout {
            let idx = hull[i]
            if hull[i - 1] < idx { lt += 1 }
            if lt > 1 && lt <= i - 2 { break }
            if idx < hull[minIdx] { minIdx = i }
            if idx > hull[maxIdx] { maxIdx = i }
        }
        let mmdist = abs(maxIdx - minIdx)
        guard (mmdist == 1 || mmdist == nout - 1) && (lt <= 1 || lt >= nout - 2) else { return hull }
        let ascending = (maxIdx + 1) % nout == minIdx
        let i0 = ascending ? minIdx : maxIdx
        guard i0 > 0 else { return hull }
        var out = [Int](repeating: 0, count: nout)
        var j = i0
        var i = 0
        while i < nout {
            let curr = hull[j]
            out[i] = curr
            let nextJ = j + 1 < nout ? j + 1 : 0
            let next = hull[nextJ]
            if i < nout - 1 && (ascending != (curr < next)) { break }
            j = nextJ
            i += 1
        }
        return i == nout ? out : hull
    }

    private static func sklansky(
        _ points: [PointI], _ pointer: [Int], start: Int, end endIn: Int, stack: inout [Int], offset: Int,
        nsign: Int, sign2: Int
    ) -> Int {
        let incr = endIn > start ? 1 : -1
        var pprev = start, pcur = pprev + incr, pnext = pcur + incr
        var stacksize = 3
        func pt(_ i: Int) -> PointI { points[pointer[i]] }
        if start == endIn || pt(start) == pt(endIn) {
            stack[offset] = start
            return 1
        }
        stack[offset] = pprev
        stack[offset + 1] = pcur
        stack[offset + 2] = pnext
        let end = endIn + incr
        while pnext != end {
            let cury = pt(pcur).y, nexty = pt(pnext).y
            let by = nexty - cury
            if by.signum() != nsign {
                let ax = pt(pcur).x - pt(pprev).x
                let bx = pt(pnext).x - pt(pcur).x
                let ay = cury - pt(pprev).y
                let convexity = ay * bx - ax * by
                if convexity.signum() == sign2 && (ax != 0 || ay != 0) {
                    pprev = pcur
                    pcur = pnext
                    pnext += incr
                    stack[offset + stacksize] = pnext
                    stacksize += 1
                } else if pprev == start {
                    pcur = pnext
                    stack[offset + 1] = pcur
                    pnext += incr
                    stack[offset + 2] = pnext
                } else {
                    stack[offset + stacksize - 2] = pnext
                    pcur = pprev
                    pprev = stack[offset + stacksize - 4]
                    stacksize -= 1
                }
            } else {
                pnext += incr
                stack[offset + stacksize - 1] = pnext
            }
        }
        return stacksize - 1
    }
}

import Testing
import Foundation
@testable import PaddleInference

@Suite struct SmokeTests {
    @Test func recRuns() throws {
        let root = PaddleRuntime.packageRoot
        let p = try Predictor(config: Config(model: root + "/.paddle/models/ppocrv4/ch_PP-OCRv4_rec_infer"))
        print(p.inputs, p.outputs)
        let x = try Tensor(shape: [1, 3, 48, 320], scalars: [Float](repeating: 0.1, count: 3*48*320))
        let out = try p.run(["x": x])
        for (k, v) in out { print(k, v.shape, v.dataType) }
        let c = try p.clone()
        let out2 = try c.run(["x": x])
        #expect(out == out2)
        let v5 = try Predictor(config: Config(model: root + "/.paddle/models/ppocrv5/PP-OCRv5_mobile_det"))
        print(v5.inputs, v5.outputs)
        let y = try Tensor(shape: [1, 3, 64, 96], scalars: [Float](repeating: 0.1, count: 3*64*96))
        let o5 = try v5.run(["x": y])
        for (k, v) in o5 { print(k, v.shape, v.dataType) }
    }
}

import Foundation
import PaddleOCR
import Testing

@testable import PaddleWaybill

/// The real OCR pipeline and the reader over the generated waybill set, against the issue's targets.
///
/// Every image of the set is read (200 by default; `PADDLE_WAYBILL_LIMIT=N` reads the first N only, outside CI).
/// Per-field accuracy and each failure are printed, for docs/waybill.md.
@Suite(.serialized) struct WaybillAccuracyTests {
    struct Tally {
        var hits = 0, total = 0
        mutating func add(_ ok: Bool) {
            total += 1
            if ok { hits += 1 }
        }
        var rate: Double { total == 0 ? 0 : Double(hits) / Double(total) }
    }

    @Test func generatedSet_meetsIssueTargets() async throws {
        let manifest = try GeneratedSet.require()
        var images = manifest.images.map(\.image)
        if let limit = ProcessInfo.processInfo.environment["PADDLE_WAYBILL_LIMIT"].flatMap(Int.init), !GeneratedSet.isCI {
            images = Array(images.prefix(limit))
        }
        let pipeline = try OCRPipeline(options: OCROptions())
        let reader = try WaybillReader()
        let fields = ["waybill_number", "carrier", "phone", "name", "province", "city", "district", "detail", "weight_kg", "pieces", "date", "page_turn"]
        var tally = [String: Tally]()
        var seconds = (all: 0.0, secondPasses: 0)
        for image in images {
            let truth = try GeneratedSet.truth(image)
            let reading = try await reader.read(imageData: GeneratedSet.imageData(image), pipeline: pipeline, image: image)
            let w = reading.waybill
            seconds.all += reading.timings.total + reading.uprightSeconds
            if reading.passes == 2 { seconds.secondPasses += 1 }
            func check(_ field: String, _ ok: Bool, _ detail: @autoclosure () -> String) {
                tally[field, default: Tally()].add(ok)
                if !ok { print("[\(image) \(truth.meta.layout) turn \(truth.meta.turn) font \(truth.meta.font)\(truth.meta.handwriting ? " hand" : "")] \(field): \(detail())") }
            }
            check("waybill_number", w.waybillNumber == truth.waybill_number, "read \(w.waybillNumber ?? "null"), truth \(truth.waybill_number)")
            check("carrier", w.carrier?.code == truth.carrier.code, "read \(w.carrier?.code ?? "null"), truth \(truth.carrier.code)")
            for (role, party, t) in [("receiver", w.receiver, truth.receiver), ("sender", w.sender, truth.sender)] {
                check("phone", party?.phone == t.phone, "\(role) read \(party?.phone ?? "null"), truth \(t.phone)")
                check("name", party?.name == t.name, "\(role) read \(party?.name ?? "null"), truth \(t.name)")
                let a = party?.address
                check("province", a?.province == t.address.province, "\(role) read \(a?.province ?? "null"), truth \(t.address.province) [\(a?.full ?? "")]")
                check("city", a?.city == t.address.city, "\(role) read \(a?.city ?? "null"), truth \(t.address.city) [\(a?.full ?? "")]")
                check("district", a?.district == t.address.district, "\(role) read \(a?.district ?? "null"), truth \(t.address.district) [\(a?.full ?? "")]")
                check("detail", a?.detail == t.address.detail, "\(role) read \(a?.detail ?? "null"), truth \(t.address.detail)")
            }
            check("weight_kg", w.weightKg.map { abs($0 - truth.weight_kg) < 1e-9 } ?? false, "read \(w.weightKg.map { "\($0)" } ?? "null"), truth \(truth.weight_kg)")
            check("pieces", w.pieces == truth.pieces, "read \(w.pieces.map(String.init) ?? "null"), truth \(truth.pieces)")
            check("date", w.date == truth.date, "read \(w.date ?? "null"), truth \(truth.date)")
            // The generator turns the photo counter-clockwise; the reader reports the clockwise turn it undoes.
            check("page_turn", reading.pageTurn == (360 - truth.meta.turn) % 360, "found \(reading.pageTurn), truth \((360 - truth.meta.turn) % 360)")
        }
        await pipeline.shutdown()
        print("waybill OCR: \(images.count) images, \(seconds.secondPasses) read again upright, \(String(format: "%.1f", seconds.all)) s of OCR")
        for f in fields {
            let t = tally[f] ?? Tally()
            print("waybill accuracy: \(f) \(t.hits)/\(t.total) = \(String(format: "%.1f", t.rate * 100)) %")
        }
        #expect((tally["waybill_number"]?.rate ?? 0) >= 0.99)
        #expect((tally["phone"]?.rate ?? 0) >= 0.98)
        #expect((tally["name"]?.rate ?? 0) >= 0.95)
        #expect((tally["province"]?.rate ?? 0) >= 0.97)
        #expect((tally["city"]?.rate ?? 0) >= 0.97)
        #expect((tally["district"]?.rate ?? 0) >= 0.97)
        #expect((tally["detail"]?.rate ?? 0) >= 0.90)
    }
}

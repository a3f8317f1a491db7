#!/usr/bin/env python3
"""Synthetic express-waybill photos with ground truth, for the PaddleWaybill accuracy test.

Deterministic: the same --seed, --count, fonts and Pillow/numpy versions give byte-identical files (run.sh pins the
Python packages; the fonts come from Debian packages that scripts/setup.sh installs). Nothing here is committed
output: the images go into a git-ignored folder (default `.waybills/`).

    tools/waybill-synth/run.sh                 # creates the venv, writes .waybills/ (200 images)
    python generate.py --out DIR --count N --seed S

Per image `wb-NNNN.jpg` plus `wb-NNNN.json`, the ground truth in the reader's output names:
    {"image", "carrier": {"name", "code"}, "waybill_number", "receiver": {"name", "phone", "address": {...}},
     "sender": {...}, "weight_kg", "pieces", "date", "meta": {layout, turn, angle, font, handwriting, quality, ...}}
and `manifest.json` listing every image with a SHA-256 (for the determinism check).
Address convention: for the four municipalities (Beijing, Tianjin, Shanghai, Chongqing) `city` repeats the province.
`full` is province + city + district + detail without separators (the city once for municipalities).
"""
import argparse
import hashlib
import io
import json
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[2]
DIVISIONS = ROOT / "Sources/PaddleWaybill/Resources/divisions.tsv"

FONTS = {
    "noto-sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "noto-sans-bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    "noto-serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "wqy-microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    "wqy-zenhei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "ar-pl-uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
}
# Brush-script (kai) face: the closest to handwriting that Debian packages for simplified Chinese.
HAND_FONTS = {"ar-pl-ukai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0)}
PRINT_FONTS = ["noto-sans", "noto-serif", "wqy-microhei", "wqy-zenhei", "ar-pl-uming"]

# name, code, number maker
CARRIERS = [
    ("顺丰速运", "SF"), ("京东快递", "JD"), ("圆通速递", "YTO"), ("中通快递", "ZTO"), ("申通快递", "STO"),
    ("韵达快递", "YUNDA"), ("中国邮政EMS", "EMS"), ("极兔速递", "JT"), ("德邦快递", "DEPPON"),
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤") + ["欧阳", "司马", "诸葛", "上官"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯健俊帆帅旭宁龙林欣晨瑞博思雨嘉怡子涵轩梓一诺佳琪雪婷慧颖琳")
ROADS = ["人民", "解放", "中山", "建设", "和平", "新华", "文化", "胜利", "幸福", "光明", "长江", "黄河", "朝阳", "东风",
         "青年", "学府", "科技", "创业", "滨江", "湖滨", "迎宾", "工业", "振兴", "团结", "育才", "金融", "花园", "锦绣"]
ROAD_KINDS = ["路", "大道", "街", "东路", "西路", "南路", "北路", "中路"]
ESTATES = ["阳光", "翠苑", "锦华", "金色", "碧桂", "万科", "绿城", "华府", "龙湖", "恒大", "书香", "明珠", "悦府", "蓝湾",
           "新城", "御景", "春天", "丽景", "海棠", "紫荆"]
ESTATE_KINDS = ["小区", "花园", "家园", "公寓", "苑", "新村", "名都"]
BUILDINGS = ["大厦", "中心", "广场", "科技园", "产业园", "写字楼"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
                   "158", "159", "166", "170", "173", "175", "176", "177", "178", "180", "181", "182", "183", "185",
                   "186", "187", "188", "189", "191", "193", "195", "198", "199"]
AREA_CODES = ["010", "021", "022", "023", "020", "024", "025", "027", "028", "029", "0311", "0371", "0431", "0451",
              "0471", "0531", "0551", "0571", "0591", "0731", "0755", "0769", "0851", "0871", "0898", "0931"]


# ------------------------------------------------------------------------------------------------ content

def load_divisions():
    names = {}
    for line in DIVISIONS.read_text(encoding="utf-8").splitlines():
        code, name = line.split("\t")
        names[code] = name
    triples = []
    for code, name in names.items():
        if code[4:] == "00":
            continue
        prov = names.get(code[:2] + "0000")
        city_code = code[:4] + "00"
        city = names.get(city_code)
        if prov is None or city is None or name in ("市辖区",):
            continue
        if city in ("市辖区", "县"):
            city = prov  # municipality
        elif not city.endswith(("市", "州", "盟", "地区")):
            continue  # county-level divisions directly under a province
        triples.append((prov, city, name))
    triples.sort()
    return triples


def s10_check(digits: str) -> str:
    weights = [8, 6, 4, 2, 3, 5, 9, 7]
    c = 11 - sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return {10: "0", 11: "5"}.get(c, str(c))


def waybill_number(rng: random.Random, code: str) -> str:
    d = lambda n: "".join(rng.choice("0123456789") for _ in range(n))
    if code == "SF":
        return "SF" + rng.choice("1234") + d(rng.choice([11, 12]))
    if code == "JD":
        return rng.choice(["JD00" + d(11), "JDV" + rng.choice("ABCDE") + d(11), "JDX" + d(12)])
    if code == "YTO":
        return "YT" + rng.choice("6789") + d(12)
    if code == "ZTO":
        return rng.choice(["73", "75", "78"]) + d(rng.choice([10, 12]))
    if code == "STO":
        return "77" + rng.choice("3456") + d(10)
    if code == "YUNDA":
        return rng.choice(["31", "43", "46"]) + d(rng.choice([11, 13]))
    if code == "EMS":
        body = d(8)
        return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + body + s10_check(body) + "CN"
    if code == "JT":
        return "JT" + rng.choice("3456") + d(12)
    if code == "DEPPON":
        return "DPK" + rng.choice("3456") + d(11)
    raise ValueError(code)


def person_name(rng):
    s = rng.choice(SURNAMES)
    return s + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 1, 2, 2, 2] if len(s) == 1 else [1, 2])))


def phone(rng):
    kind = rng.random()
    if kind < 0.55:
        return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
    if kind < 0.85:
        return rng.choice(MOBILE_PREFIXES) + "****" + "".join(rng.choice("0123456789") for _ in range(4))
    area = rng.choice(AREA_CODES)
    n = 8 if len(area) == 3 else rng.choice([7, 8])
    return area + "-" + rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(n - 1))


def detail(rng):
    road = rng.choice(ROADS) + rng.choice(ROAD_KINDS) + f"{rng.randint(1, 999)}号"
    r = rng.random()
    if r < 0.45:
        tail = (rng.choice(ESTATES) + rng.choice(ESTATE_KINDS) + f"{rng.randint(1, 30)}栋"
                + (f"{rng.randint(1, 6)}单元" if rng.random() < 0.6 else "") + f"{rng.randint(1, 32)}0{rng.randint(1, 6)}室")
    elif r < 0.8:
        tail = rng.choice(ESTATES) + rng.choice(BUILDINGS) + f"{rng.choice('ABCD')}座{rng.randint(2, 40)}楼"
    else:
        tail = ""
    return road + tail


def address(rng, triples):
    prov, city, district = rng.choice(triples)
    det = detail(rng)
    full = prov + ("" if city == prov else city) + district + det
    return {"province": prov, "city": city, "district": district, "detail": det, "full": full}


def party(rng, triples):
    return {"name": person_name(rng), "phone": phone(rng), "address": address(rng, triples)}


def address_text(rng, a):
    """The address as printed: levels joined by nothing or a space; municipalities with the city once."""
    sep = rng.choice(["", "", " "])
    parts = [a["province"]] + ([] if a["city"] == a["province"] else [a["city"]]) + [a["district"], a["detail"]]
    return sep.join(parts)


# ------------------------------------------------------------------------------------------------ drawing

class Fonts:
    def __init__(self):
        self.cache = {}

    def get(self, key, size):
        path, index = {**FONTS, **HAND_FONTS}[key]
        k = (key, size)
        if k not in self.cache:
            self.cache[k] = ImageFont.truetype(path, size, index=index)
        return self.cache[k]


def draw_text(img, draw, xy, text, font, fill=(20, 20, 20), jitter=None, rng=None):
    """Draws text; with `jitter` (handwriting), glyph by glyph with small offsets, rotations and size changes."""
    x, y = xy
    if not jitter:
        draw.text((x, y), text, font=font, fill=fill)
        return draw.textlength(text, font=font)
    start = x
    for ch in text:
        w = draw.textlength(ch, font=font)
        if ch == " ":
            x += w
            continue
        size = font.size
        tile = Image.new("L", (int(size * 1.6), int(size * 1.6)), 0)
        ImageDraw.Draw(tile).text((size * 0.3, size * 0.2), ch, font=font, fill=255)
        tile = tile.rotate(rng.uniform(-jitter * 6, jitter * 6), resample=Image.BICUBIC)
        ink = Image.new("RGB", tile.size, fill)
        img.paste(ink, (int(x - size * 0.3), int(y - size * 0.2 + rng.uniform(-jitter, jitter) * size * 0.08)), tile)
        x += w * rng.uniform(0.95, 1.12)
    return x - start


def barcode(draw, rng, x, y, w, h):
    cx = x
    while cx < x + w:
        bw = rng.choice([2, 2, 3, 4, 6])
        if rng.random() < 0.55:
            draw.rectangle([cx, y, cx + bw - 1, y + h], fill=(0, 0, 0))
        cx += bw


def marker(draw, fonts, x, y, ch, size, style):
    """The 收/寄 marker: the character in a frame with a margin of half its size (the detector needs the margin)."""
    f = fonts.get("noto-sans-bold", size)
    side = size * 1.9
    tx, ty = x + (side - size) / 2, y + (side - size) / 2 - size * 0.12
    if style == "box":
        draw.rectangle([x, y, x + side, y + side], outline=(0, 0, 0), width=3)
        draw.text((tx, ty), ch, font=f, fill=(0, 0, 0))
    elif style == "circle":
        draw.ellipse([x, y, x + side, y + side], outline=(0, 0, 0), width=3)
        draw.text((tx, ty), ch, font=f, fill=(0, 0, 0))
    else:  # inverse
        draw.rectangle([x, y, x + side, y + side], fill=(0, 0, 0))
        draw.text((tx, ty), ch, font=f, fill=(255, 255, 255))
    return int(side)


def wrap(draw, text, font, width):
    lines, cur = [], ""
    for ch in text:
        if draw.textlength(cur + ch, font=font) > width and cur:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def render_label(rng, fonts, truth, layout, font_key, hand):
    W, H = 800, 1200
    img = Image.new("RGB", (W, H), (252, 252, 248))
    draw = ImageDraw.Draw(img)
    ink = (20, 20, 20)
    hand_ink = rng.choice([(20, 30, 120), (15, 15, 15), (40, 40, 80)])
    fs = rng.randint(25, 30)
    body = fonts.get(font_key, fs)
    hand_font_key = "ar-pl-ukai"
    hand_font = fonts.get(hand_font_key, fs + 4)
    jitter = 1.0 if hand else None
    m = 30
    draw.rectangle([m - 10, m - 10, W - m + 10, H - m + 10], outline=(0, 0, 0), width=3)
    # header: carrier and number
    cname = truth["carrier"]["name"]
    draw.text((m + 10, m), cname, font=fonts.get("noto-sans-bold", 44), fill=(0, 0, 0))
    if rng.random() < 0.5:
        draw.text((W - m - 170, m + 10), rng.choice(["标准快递", "特快", "电商件", "代收货款"]), font=fonts.get("noto-sans", 30), fill=ink)
    y = m + 75
    barcode(draw, rng, m + 40, y, W - 2 * m - 80, 100)
    y += 110
    number = truth["waybill_number"]
    spaced = number if rng.random() < 0.8 else " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    nf = fonts.get(rng.choice(["noto-sans", "noto-sans-bold", "wqy-microhei"]), 34)
    prefix = rng.choice(["运单号：", "单号：", ""])
    draw.text((m + 40, y), prefix + spaced, font=nf, fill=(0, 0, 0))
    y += 60
    draw.line([m - 10, y, W - m + 10, y], fill=(0, 0, 0), width=2)
    y += 15

    def block(y, role, p, x0, width, labelled):
        ch = "收" if role == "receiver" else "寄"
        style = rng.choice(["box", "circle", "inverse"])
        msize = 40 if role == "receiver" else 32
        font = hand_font if (hand and role == "receiver") else body
        jit = jitter if (hand and role == "receiver") else None
        colour = hand_ink if jit else ink
        if labelled:
            word = "收件人" if role == "receiver" else "寄件人"
            lines = [f"{word}：{p['name']}", f"电话：{p['phone']}"]
            addr = "地址：" + address_text(rng, p["address"])
            tx = x0
        else:
            side = marker(draw, fonts, x0, y, ch, msize, style)
            tx = x0 + side + 16
            lines = [f"{p['name']}  {p['phone']}"]
            addr = address_text(rng, p["address"])
        # The name and phone row must fit its column (a real label's text stays inside its frame): a smaller size
        # for the whole block when it does not.
        avail = width - (tx - x0) - 10
        while draw.textlength(lines[0], font=font) > avail and font.size > 16:
            font = fonts.get(hand_font_key if font is hand_font or font.path.endswith("ukai.ttc") else font_key, font.size - 2)
        lines += wrap(draw, addr, font, avail)
        ly = y
        for line in lines:
            draw_text(img, draw, (tx, ly), line, font, fill=colour, jitter=jit, rng=rng)
            ly += int(font.size * 1.55)
        return max(ly, y + int(msize * 1.9)) + 10

    labelled = layout in ("labelled", "columns-labelled")
    if layout.startswith("columns"):
        # sender and receiver side by side: the receiver on the left half or the right half
        half = (W - 2 * m) // 2
        left_is_receiver = rng.random() < 0.5
        order = [("receiver", truth["receiver"]), ("sender", truth["sender"])]
        if not left_is_receiver:
            order.reverse()
        y1 = block(y, order[0][0], order[0][1], m, half - 10, labelled)
        y2 = block(y, order[1][0], order[1][1], m + half + 10, half - 10, labelled)
        draw.line([m + half, y - 10, m + half, max(y1, y2)], fill=(0, 0, 0), width=2)
        y = max(y1, y2)
    else:
        first_sender = layout == "sender-first"
        roles = [("sender", truth["sender"]), ("receiver", truth["receiver"])] if first_sender else \
            [("receiver", truth["receiver"]), ("sender", truth["sender"])]
        for role, p in roles:
            y = block(y, role, p, m + 10, W - 2 * m - 20, labelled)
            draw.line([m - 10, y, W - m + 10, y], fill=(0, 0, 0), width=2)
            y += 15
    y += 10
    # other fields
    small = fonts.get(font_key, 26)
    w = truth["weight_kg"]
    wtext = rng.choice([f"重量：{w:g}kg", f"计费重量：{w:g}KG", f"重量:{w:g}公斤"])
    ptext = rng.choice([f"件数：{truth['pieces']}", f"件数：{truth['pieces']}件", f"数量:{truth['pieces']}"])
    dt = truth["date"]
    yy, mo, dd = dt.split("-")
    dtext = rng.choice([f"寄件日期：{dt}", f"日期：{yy}/{mo}/{dd}", f"{yy}年{int(mo)}月{int(dd)}日", f"揽收时间：{dt} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"])
    draw.text((m + 10, y), wtext, font=small, fill=ink)
    draw.text((m + 300, y), ptext, font=small, fill=ink)
    y += 45
    draw.text((m + 10, y), dtext, font=small, fill=ink)
    y += 50
    if rng.random() < 0.7:
        draw.text((m + 10, y), rng.choice(["物品：日用品", "内件：文件", "物品：服装", "备注：易碎轻放", "内件：电子产品"]), font=small, fill=ink)
        y += 45
    if rng.random() < 0.6:
        draw.text((m + 10, H - m - 50), rng.choice(["签收人：", "快件送达收件人地址，经收件人或寄件人允许的代收人签字，视为送达。"])[:24],
                  font=fonts.get(font_key, 20), fill=(90, 90, 90))
    return img.crop((0, 0, W, min(H, max(y + 80, 900))))


# ------------------------------------------------------------------------------------------------ photo

def perspective_coeffs(src, dst):
    """Coefficients for PIL's PERSPECTIVE transform mapping output points `dst` to input points `src`."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)).tolist()


def photograph(rng, label, meta):
    w, h = label.size
    # background: a table or a parcel
    bw, bh = int(w * 1.35), int(h * 1.3)
    base = np.array(rng.choice([(150, 120, 90), (190, 170, 140), (90, 90, 95), (200, 200, 205), (120, 100, 70)]), dtype=np.float64)
    nrng = np.random.default_rng(rng.randrange(2 ** 32))
    bg = base + nrng.normal(0, 8, (bh, bw, 1))
    bg = Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8).repeat(3, axis=2) if bg.shape[2] == 1 else np.clip(bg, 0, 255).astype(np.uint8))
    # perspective: the label's corners moved by up to 6 % of its size
    ox, oy = (bw - w) // 2, (bh - h) // 2
    k = meta["perspective"]
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = [(ox + x + rng.uniform(-k, k) * w, oy + y + rng.uniform(-k, k) * h) for x, y in corners]
    coeffs = perspective_coeffs(corners, dst)
    warped = label.transform((bw, bh), Image.PERSPECTIVE, coeffs, resample=Image.BICUBIC, fillcolor=(0, 0, 0))
    mask = Image.new("L", label.size, 255).transform((bw, bh), Image.PERSPECTIVE, coeffs, resample=Image.BILINEAR, fillcolor=0)
    bg.paste(warped, (0, 0), mask)
    img = bg.rotate(meta["angle"], resample=Image.BICUBIC, expand=False, fillcolor=tuple(int(c) for c in base))
    # lighting: a soft shadow band and a brightness gradient
    arr = np.asarray(img).astype(np.float64)
    yy, xx = np.mgrid[0:bh, 0:bw]
    g = 1.0 - meta["gradient"] * (xx / bw * math.cos(meta["gradient_dir"]) + yy / bh * math.sin(meta["gradient_dir"]))
    if meta["shadow"] > 0:
        x0 = rng.uniform(0, bw)
        slope = rng.uniform(-1.5, 1.5)
        side = (xx - x0 - slope * (yy - bh / 2)) > 0
        g = g * np.where(side, 1.0 - meta["shadow"], 1.0)
    arr = arr * g[:, :, None]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if meta["blur"] > 0:
        img = img.filter(ImageFilter.GaussianBlur(meta["blur"]))
    turn = meta["turn"]
    if turn:
        img = img.rotate(turn, expand=True)
    return img


def make_one(rng, fonts, triples, index):
    carrier = CARRIERS[index % len(CARRIERS)] if index < 2 * len(CARRIERS) else rng.choice(CARRIERS)
    number = waybill_number(rng, carrier[1])
    year = rng.choice([2024, 2025, 2026])
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    truth = {
        "carrier": {"name": carrier[0], "code": carrier[1]},
        "waybill_number": number,
        "receiver": party(rng, triples),
        "sender": party(rng, triples),
        "weight_kg": rng.choice([0.5, 1, 1.2, 1.5, 2, 2.5, 3, 4.8, 5, 10.5, 12, 0.3]),
        "pieces": rng.choice([1, 1, 1, 2, 3]),
        "date": f"{year:04d}-{month:02d}-{day:02d}",
    }
    layout = rng.choice(["marker", "marker", "labelled", "sender-first", "columns", "columns-labelled"])
    font_key = rng.choice(PRINT_FONTS)
    hand = rng.random() < 0.25
    r = rng.random()
    turn = 0 if r < 0.7 else (90 if r < 0.8 else (180 if r < 0.9 else 270))
    meta = {
        "layout": layout, "font": font_key, "handwriting": hand, "turn": turn,
        "angle": round(rng.uniform(-15, 15), 2), "perspective": round(rng.uniform(0, 0.05), 3),
        "blur": round(rng.choice([0, 0, 0.6, 1.0, 1.4]), 2), "shadow": round(rng.choice([0, 0, 0.25, 0.4]), 2),
        "gradient": round(rng.uniform(0, 0.25), 3), "gradient_dir": round(rng.uniform(0, 2 * math.pi), 3),
        "quality": rng.choice([45, 60, 75, 85, 95]),
    }
    label = render_label(rng, fonts, truth, layout, font_key, hand)
    photo = photograph(rng, label, meta)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=meta["quality"])
    truth["meta"] = meta
    return buf.getvalue(), truth


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / ".waybills"))
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    triples = load_divisions()
    fonts = Fonts()
    manifest = {"seed": args.seed, "count": args.count, "images": []}
    for i in range(args.count):
        rng = random.Random(f"{args.seed}:{i}")
        data, truth = make_one(rng, fonts, triples, i)
        name = f"wb-{i:04d}"
        truth["image"] = name + ".jpg"
        (out / (name + ".jpg")).write_bytes(data)
        (out / (name + ".json")).write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        manifest["images"].append({"image": name + ".jpg", "sha256": hashlib.sha256(data).hexdigest()})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"{args.count} waybills -> {out}")


if __name__ == "__main__":
    main()

//! Screenshots: [`render`] draws a screen into a PNG as a tester would see it
//! on the phone; [`black`] is what a secure screen gives instead.

use font8x8::legacy::{BASIC_LEGACY, LATIN_LEGACY};
use qrcode::{Color, EcLevel, QrCode};

use crate::ui::{wrap, Node, Platform, Rect, Role, Screen, SCREEN_HEIGHT, SCREEN_WIDTH};

/// What the phone's status bar shows above the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusBar<'a> {
    pub platform: Platform,
    /// Already formatted, e.g. `"12:34"`.
    pub clock: &'a str,
    pub bluetooth_on: bool,
}

/// A legible PNG of the screen, drawn 1:1 at `SCREEN_WIDTH` x `SCREEN_HEIGHT`.
/// The caller has already run [`Screen::layout`]; every node is drawn at its
/// `rect`, so what the picture shows is where a tap lands.
pub fn render(screen: &Screen, status: &StatusBar) -> Vec<u8> {
    let mut canvas = Canvas::new(SCREEN_WIDTH, SCREEN_HEIGHT, WHITE);
    for node in screen.nodes() {
        draw_node(&mut canvas, node);
    }
    // Last, so an app that lays out too much content slides under it as on a
    // real phone instead of hiding the clock.
    draw_status_bar(&mut canvas, status);
    encode_png(canvas.width, canvas.height, png::ColorType::Rgb, &canvas.rgb)
}

/// What a real Android phone returns for a FLAG_SECURE screen: an all-black
/// PNG of the screen's size.
pub fn black() -> Vec<u8> {
    let pixels = vec![0u8; (SCREEN_WIDTH * SCREEN_HEIGHT) as usize];
    encode_png(SCREEN_WIDTH, SCREEN_HEIGHT, png::ColorType::Grayscale, &pixels)
}

// ---------------------------------------------------------------------------
// Drawing

type Rgb = [u8; 3];

const WHITE: Rgb = [0xFF, 0xFF, 0xFF];
const BLACK: Rgb = [0x00, 0x00, 0x00];
const INK: Rgb = [0x1A, 0x1A, 0x1A];
const BLUE: Rgb = [0x00, 0x50, 0xB4];
const DISABLED: Rgb = [0xB0, 0xB0, 0xB0];
const DISABLED_INK: Rgb = [0x5A, 0x5A, 0x5A];
const OUTLINE: Rgb = [0x44, 0x44, 0x44];
const PLACEHOLDER: Rgb = [0x80, 0x80, 0x80];
const IMAGE_FILL: Rgb = [0xE4, 0xE4, 0xE4];
const IMAGE_INK: Rgb = [0x55, 0x55, 0x55];
const BAR_FILL: Rgb = [0xF0, 0xF0, 0xF0];
const BAR_LINE: Rgb = [0xD0, 0xD0, 0xD0];

pub(crate) const STATUS_BAR_HEIGHT: i64 = 40;
/// Glyphs are 8x8; one empty column between letters and generous leading
/// keep 1x text readable.
const ADVANCE: i64 = 9;
const LINE: i64 = 18;
const TITLE_LINE: i64 = 22;

/// An RGB bitmap whose drawing calls clip silently, so a node placed off
/// screen (or with a nonsense rect) just does not show.
struct Canvas {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32, colour: Rgb) -> Canvas {
        let rgb = colour.repeat(width as usize * height as usize);
        Canvas { width, height, rgb }
    }

    // i64 coordinates: rects are u32, and sums of them must not overflow.
    fn fill(&mut self, x: i64, y: i64, w: i64, h: i64, colour: Rgb) {
        let (cw, ch) = (i64::from(self.width), i64::from(self.height));
        let (x0, x1) = (x.clamp(0, cw), x.saturating_add(w).clamp(0, cw));
        let (y0, y1) = (y.clamp(0, ch), y.saturating_add(h).clamp(0, ch));
        if x0 >= x1 {
            return;
        }
        let stride = cw as usize * 3;
        for row in y0..y1 {
            let start = row as usize * stride + x0 as usize * 3;
            let end = row as usize * stride + x1 as usize * 3;
            if let Some(span) = self.rgb.get_mut(start..end) {
                for pixel in span.chunks_exact_mut(3) {
                    pixel.copy_from_slice(&colour);
                }
            }
        }
    }

    fn outline(&mut self, area: Area, colour: Rgb) {
        self.fill(area.x, area.y, area.w, 1, colour);
        self.fill(area.x, area.y + area.h - 1, area.w, 1, colour);
        self.fill(area.x, area.y, 1, area.h, colour);
        self.fill(area.x + area.w - 1, area.y, 1, area.h, colour);
    }

    /// A rectangle with its corners cut along a circle of radius `r`.
    fn rounded(&mut self, area: Area, r: i64, colour: Rgb) {
        let r = r.min(area.w / 2).min(area.h / 2).max(0);
        // Only the rows on the canvas: a rect may be billions of rows tall.
        let first = (-area.y).max(0);
        let last = area.h.min(i64::from(self.height) - area.y);
        for dy in first..last {
            let from_edge = dy.min(area.h - 1 - dy);
            let inset = if from_edge < r { r - chord(r, r - from_edge) } else { 0 };
            self.fill(area.x + inset, area.y + dy, area.w - 2 * inset, 1, colour);
        }
    }

    /// A disc (`ring == None`) or a circle outline `ring` pixels thick.
    fn circle(&mut self, cx2: i64, cy2: i64, d: i64, ring: Option<i64>, colour: Rgb) {
        // Centre given in half pixels so even diameters sit symmetrically.
        let outer = d * d;
        let inner = ring.map_or(-1, |t| (d - 2 * t).pow(2));
        let x0 = (cx2 - d) / 2;
        let y0 = (cy2 - d) / 2;
        for y in y0..=y0 + d {
            for x in x0..=x0 + d {
                let (dx, dy) = (2 * x + 1 - cx2, 2 * y + 1 - cy2);
                let dist = dx * dx + dy * dy;
                if dist <= outer && dist > inner {
                    self.fill(x, y, 1, 1, colour);
                }
            }
        }
    }
}

/// Half the width of a circle of radius `r` at `h` from its centre, rounded.
fn chord(r: i64, h: i64) -> i64 {
    let squared = (r * r - h * h).max(0);
    // Integer square root; the numbers are a few pixels at most.
    let mut root = 0;
    while (root + 1) * (root + 1) <= squared {
        root += 1;
    }
    root
}

#[derive(Debug, Clone, Copy)]
struct Area {
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

impl From<Rect> for Area {
    fn from(r: Rect) -> Area {
        Area { x: r.x.into(), y: r.y.into(), w: r.width.into(), h: r.height.into() }
    }
}

#[derive(Debug, Clone, Copy)]
struct Style {
    scale: i64,
    bold: bool,
    colour: Rgb,
}

const BODY: Style = Style { scale: 1, bold: false, colour: INK };

fn draw_node(canvas: &mut Canvas, node: &Node) {
    let area = Area::from(node.rect);
    if area.w <= 0 || area.h <= 0 {
        return;
    }
    match node.role {
        // A system dialog's card, over whatever is under it.
        Role::Screen if node.system && matches!(node.id.as_str(), "grant_dialog" | "alert") => {
            canvas.rounded(area, 12, BAR_FILL)
        }
        Role::Screen => {}
        Role::Title => {
            let style = Style { scale: 2, bold: true, colour: INK };
            let lines = wrap(&node.text, per_line(area.w, 2));
            // Layout gives a title 14 px of air above and below.
            draw_lines(canvas, area.x, area.y + 14, area.w, &lines, TITLE_LINE, style, false);
        }
        Role::Text => {
            let lines = wrap(&node.text, per_line(area.w, 1));
            draw_lines(canvas, area.x, area.y + 4, area.w, &lines, LINE, BODY, false);
        }
        Role::Button => draw_button(canvas, area, node),
        Role::TextField | Role::SecureField => draw_field(canvas, area, node),
        Role::Checkbox | Role::Radio => draw_choice(canvas, area, node),
        Role::QrCode => draw_qr_node(canvas, area, node),
        Role::Image => {
            canvas.fill(area.x, area.y, area.w, area.h, IMAGE_FILL);
            let style = Style { colour: IMAGE_INK, ..BODY };
            draw_centred(canvas, area, &node.text, style);
        }
    }
}

fn draw_button(canvas: &mut Canvas, area: Area, node: &Node) {
    // White on the disabled grey would be barely readable.
    let (fill, ink) = if node.enabled { (BLUE, WHITE) } else { (DISABLED, DISABLED_INK) };
    canvas.rounded(area, 8, fill);
    let style = Style { scale: 1, bold: true, colour: ink };
    draw_centred(canvas, Area { x: area.x + 8, w: area.w - 16, ..area }, &node.text, style);
}

fn draw_field(canvas: &mut Canvas, area: Area, node: &Node) {
    if !node.enabled {
        canvas.fill(area.x, area.y, area.w, area.h, BAR_FILL);
    }
    canvas.outline(area, OUTLINE);
    let inner_x = area.x + 12;
    let inner_w = area.w - 24;
    let caption = Style { colour: PLACEHOLDER, ..BODY };
    let value = node.visible_text();
    if value.is_empty() {
        // An empty field shows its label as the placeholder.
        draw_line(canvas, inner_x, area.y + (area.h - 8) / 2, inner_w, &node.text, caption);
    } else {
        // Once typed into, the label moves up so both stay readable.
        draw_line(canvas, inner_x, area.y + 8, inner_w, &node.text, caption);
        // Like a real field scrolled to the cursor: the end of a long value shows.
        let fits = per_line(inner_w, 1);
        let skip = value.chars().count().saturating_sub(fits);
        let tail: String = value.chars().skip(skip).collect();
        draw_line(canvas, inner_x, area.y + area.h - 8 - 12, inner_w, &tail, BODY);
    }
}

fn draw_choice(canvas: &mut Canvas, area: Area, node: &Node) {
    const BOX: i64 = 18;
    const TEXT_INDENT: i64 = 36;
    let lines = wrap(&node.text, per_line(area.w - TEXT_INDENT, 1));
    let block = LINE * lines.len() as i64;
    let top = area.y + (area.h - block).max(0) / 2;
    let accent = if node.enabled { BLUE } else { DISABLED };
    let frame = if node.enabled { OUTLINE } else { DISABLED };
    let (bx, by) = (area.x + 4, top);
    if node.role == Role::Radio {
        let (cx2, cy2) = (2 * bx + BOX, 2 * by + BOX);
        canvas.circle(cx2, cy2, BOX, Some(2), frame);
        if node.checked {
            canvas.circle(cx2, cy2, BOX - 8, None, accent);
        }
    } else if node.checked {
        canvas.rounded(Area { x: bx, y: by, w: BOX, h: BOX }, 3, accent);
        draw_tick(canvas, bx, by, WHITE);
    } else {
        let outer = Area { x: bx, y: by, w: BOX, h: BOX };
        canvas.outline(outer, frame);
        canvas.outline(Area { x: bx + 1, y: by + 1, w: BOX - 2, h: BOX - 2 }, frame);
    }
    let style = if node.enabled { BODY } else { Style { colour: PLACEHOLDER, ..BODY } };
    draw_lines(canvas, area.x + TEXT_INDENT, top, area.w - TEXT_INDENT, &lines, LINE, style, false);
}

/// A check mark inside an 18 px box: a short stroke down, a long one up.
fn draw_tick(canvas: &mut Canvas, bx: i64, by: i64, colour: Rgb) {
    for i in 0..4 {
        canvas.fill(bx + 4 + i, by + 8 + i, 2, 2, colour);
    }
    for i in 0..7 {
        canvas.fill(bx + 7 + i, by + 11 - i, 2, 2, colour);
    }
}

fn draw_qr_node(canvas: &mut Canvas, area: Area, node: &Node) {
    let drawn = node.qr.as_deref().is_some_and(|payload| draw_qr(canvas, area, payload));
    if !drawn {
        // Say so on screen rather than show a blank where a code should be.
        canvas.fill(area.x, area.y, area.w, area.h, IMAGE_FILL);
        let style = Style { colour: IMAGE_INK, ..BODY };
        draw_centred(canvas, area, "QR code unavailable", style);
    }
}

/// Draws the code as large as the area allows with whole-pixel modules, so
/// every module edge is crisp for the camera. False if it does not fit.
fn draw_qr(canvas: &mut Canvas, area: Area, payload: &str) -> bool {
    const QUIET: i64 = 4;
    let Ok(code) = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M) else {
        return false;
    };
    let n = code.width() as i64;
    let module = area.w.min(area.h) / (n + 2 * QUIET);
    if module == 0 {
        return false;
    }
    let side = module * (n + 2 * QUIET);
    let (x0, y0) = (area.x + (area.w - side) / 2, area.y + (area.h - side) / 2);
    canvas.fill(x0, y0, side, side, WHITE);
    for (i, colour) in code.to_colors().into_iter().enumerate() {
        if colour == Color::Dark {
            let (col, row) = (i as i64 % n, i as i64 / n);
            let x = x0 + (QUIET + col) * module;
            let y = y0 + (QUIET + row) * module;
            canvas.fill(x, y, module, module, BLACK);
        }
    }
    true
}

fn draw_status_bar(canvas: &mut Canvas, status: &StatusBar) {
    let width = i64::from(canvas.width);
    canvas.fill(0, 0, width, STATUS_BAR_HEIGHT, BAR_FILL);
    canvas.fill(0, STATUS_BAR_HEIGHT - 1, width, 1, BAR_LINE);
    let y = (STATUS_BAR_HEIGHT - 8) / 2;
    let style = Style { bold: true, ..BODY };
    draw_line(canvas, 16, y, width / 3, status.clock, style);
    let name = status.platform.name();
    let name_w = text_width(name, 1);
    draw_line(canvas, (width - name_w) / 2, y, name_w, name, BODY);
    if status.bluetooth_on {
        draw_line(canvas, width - 16 - text_width("BT", 1), y, 2 * ADVANCE, "BT", style);
    }
}

// ---------------------------------------------------------------------------
// Text

/// Characters per line at `scale`, as `ui::line_count` counts them, so the
/// lines drawn are the lines the layout made room for.
fn per_line(width: i64, scale: i64) -> usize {
    usize::try_from(width / (ADVANCE * scale)).unwrap_or(0).max(1)
}

fn text_width(text: &str, scale: i64) -> i64 {
    let n = text.chars().count() as i64;
    // The last glyph needs its 8 px, not a full advance.
    (n * ADVANCE * scale - scale).max(0)
}

/// Wrapped text centred both ways in `area` (buttons, image captions).
fn draw_centred(canvas: &mut Canvas, area: Area, text: &str, style: Style) {
    let lines = wrap(text, per_line(area.w, style.scale));
    let block = LINE * (lines.len() as i64 - 1) + 8 * style.scale;
    let top = area.y + (area.h - block) / 2 - (LINE - 8 * style.scale) / 2;
    draw_lines(canvas, area.x, top, area.w, &lines, LINE, style, true);
}

/// Lines stacked `line_height` apart from `top`, each glyph row vertically
/// centred in its line.
#[allow(clippy::too_many_arguments)]
fn draw_lines(
    canvas: &mut Canvas,
    x: i64,
    top: i64,
    width: i64,
    lines: &[String],
    line_height: i64,
    style: Style,
    centred: bool,
) {
    let pad = (line_height - 8 * style.scale) / 2;
    for (i, line) in lines.iter().enumerate() {
        let y = top + i as i64 * line_height + pad;
        let lx = if centred { x + (width - text_width(line, style.scale)).max(0) / 2 } else { x };
        draw_line(canvas, lx, y, width, line, style);
    }
}

/// One line of text; glyphs that would cross `width` are left out rather
/// than spill into the neighbouring node (the layout wraps by words, so an
/// unbreakable word can be longer than the line).
fn draw_line(canvas: &mut Canvas, x: i64, y: i64, width: i64, text: &str, style: Style) {
    let advance = ADVANCE * style.scale;
    let mut gx = x;
    for c in text.chars() {
        if gx + 8 * style.scale > x + width.max(0) {
            break;
        }
        draw_glyph(canvas, gx, y, glyph(c), style);
        gx += advance;
    }
}

enum Glyph {
    Bitmap([u8; 8]),
    /// The bullet that masks PIN digits; font8x8 has none.
    Dot,
    /// Anything the font cannot show: a visible box beats a silent gap.
    Missing,
}

fn glyph(c: char) -> Glyph {
    let c = match c {
        '‘' | '’' => '\'',
        '“' | '”' => '"',
        '–' | '—' => '-',
        other => other,
    };
    let code = c as usize;
    let bitmap = match code {
        0x20..=0x7E => BASIC_LEGACY.get(code),
        0xA0..=0xFF => LATIN_LEGACY.get(code - 0xA0),
        0x2022 => return Glyph::Dot,
        _ => None,
    };
    bitmap.map_or(Glyph::Missing, |rows| Glyph::Bitmap(*rows))
}

fn draw_glyph(canvas: &mut Canvas, x: i64, y: i64, glyph: Glyph, style: Style) {
    let s = style.scale;
    match glyph {
        Glyph::Bitmap(rows) => {
            for (row, bits) in (0i64..).zip(rows) {
                for col in 0..8 {
                    // font8x8 keeps the leftmost pixel in the lowest bit.
                    if bits >> col & 1 == 1 {
                        let (px, py) = (x + col * s, y + row * s);
                        canvas.fill(px, py, s, s, style.colour);
                        if style.bold {
                            canvas.fill(px + 1, py, s, s, style.colour);
                        }
                    }
                }
            }
        }
        Glyph::Dot => canvas.circle(2 * x + 8 * s, 2 * y + 8 * s, 6 * s, None, style.colour),
        Glyph::Missing => canvas.fill(x + s, y + s, 6 * s, 6 * s, style.colour),
    }
}

// ---------------------------------------------------------------------------
// PNG

fn encode_png(width: u32, height: u32, colour: png::ColorType, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    // Flat UI colours compress well even at the fastest setting, and a
    // screenshot is taken after nearly every step.
    encoder.set_compression(png::Compression::Fast);
    let written =
        encoder.write_header().and_then(|mut writer| writer.write_image_data(pixels).and_then(|()| writer.finish()));
    // Sizes are constants matching `pixels` and a Vec cannot fail to grow
    // short of aborting, so this cannot happen; an empty body at least makes
    // the client report an unreadable screenshot instead of the farm dying.
    if written.is_err() {
        return Vec::new();
    }
    out
}

/// A screen with a QR code among Danish text, for the tests here and the
/// camera's.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub const PAYLOAD: &str =
        "mitid-copy:v1:3f2a9c0e7b4d41a8b6e2f1c3d5a7e9b0c2d4f6a8b1c3e5d7f9a0b2c4d6e8f1a3:Zq8xN4pLw2";

    pub const STATUS: StatusBar<'static> =
        StatusBar { platform: Platform::Android, clock: "12:34", bluetooth_on: true };

    pub fn screen(children: Vec<Node>) -> Screen {
        let mut root = Node::new(Role::Screen, "qr_code", "");
        root.children = children;
        let mut screen = Screen { name: "qr_code".into(), secure: false, root, alert: None };
        screen.layout();
        screen
    }

    pub fn qr_screen() -> Screen {
        let mut pin = Node::new(Role::SecureField, "pin", "PIN-kode");
        pin.value = "1234".into();
        let mut tick = Node::new(Role::Checkbox, "accept", "Jeg har læst og forstået “vilkårene” • ÆØÅ");
        tick.checked = true;
        let mut qr = Node::new(Role::QrCode, "qr", "QR-kode");
        qr.qr = Some(PAYLOAD.into());
        screen(vec![
            Node::new(Role::Title, "title", "Kopiér MitID til en anden enhed"),
            Node::new(
                Role::Text,
                "body",
                "Scan QR-koden med din nye enhed. Koden skifter hvert 30. sekund – hold telefonen stille.",
            ),
            pin,
            tick,
            qr,
            Node::new(Role::Button, "next", "Næste"),
        ])
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::fixtures::{qr_screen, screen, PAYLOAD, STATUS};
    use super::*;
    use crate::camera::{decode_qr, CameraError};

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        let reader = png::Decoder::new(Cursor::new(bytes)).read_info().expect("valid PNG");
        reader.info().size()
    }

    #[test]
    fn rendered_qr_screen_scans_back_to_its_payload() {
        let png = render(&qr_screen(), &STATUS);
        assert_eq!(png_size(&png), (SCREEN_WIDTH, SCREEN_HEIGHT));
        assert_eq!(decode_qr(&png).as_deref(), Ok(PAYLOAD));
    }

    #[test]
    fn ios_screen_without_bluetooth_renders_too() {
        let status = StatusBar { platform: Platform::Ios, clock: "09:05", bluetooth_on: false };
        assert_eq!(decode_qr(&render(&qr_screen(), &status)).as_deref(), Ok(PAYLOAD));
    }

    #[test]
    fn black_is_a_screen_sized_black_png_without_a_code() {
        let png = black();
        let mut reader = png::Decoder::new(Cursor::new(&png[..])).read_info().expect("valid PNG");
        assert_eq!(reader.info().size(), (SCREEN_WIDTH, SCREEN_HEIGHT));
        let mut buffer = vec![1; reader.output_buffer_size().expect("size")];
        reader.next_frame(&mut buffer).expect("frame");
        assert!(buffer.iter().all(|&b| b == 0));
        assert_eq!(decode_qr(&png), Err(CameraError::NoQrCode));
    }

    #[test]
    fn text_only_screen_has_no_code() {
        let png = render(
            &screen(vec![
                Node::new(Role::Title, "t", "Velkommen"),
                Node::new(Role::Text, "b", "Ingen kode her."),
                Node::new(Role::Image, "logo", "MitID"),
            ]),
            &STATUS,
        );
        assert_eq!(decode_qr(&png), Err(CameraError::NoQrCode));
    }

    #[test]
    fn odd_nodes_never_panic() {
        let huge = Rect { x: u32::MAX, y: u32::MAX, width: u32::MAX, height: u32::MAX };
        let wide = Rect { x: 0, y: 0, width: u32::MAX, height: 50 };
        let mut nodes = Vec::new();
        for role in [
            Role::Screen,
            Role::Title,
            Role::Text,
            Role::Button,
            Role::TextField,
            Role::SecureField,
            Role::Checkbox,
            Role::Radio,
            Role::QrCode,
            Role::Image,
        ] {
            for rect in [huge, wide, Rect { x: 5, y: 700, width: 3, height: 300 }] {
                let mut node = Node::new(role, "n", "\u{0}\t✓ 日本 \u{202e}x".repeat(20));
                node.value = "ÿ".repeat(500);
                node.qr = Some("x".repeat(5000));
                node.enabled = false;
                node.checked = true;
                node.rect = rect;
                nodes.push(node);
            }
        }
        let mut root = Node::new(Role::Screen, "s", "");
        root.children = nodes;
        let screen = Screen { name: "s".into(), secure: true, root, alert: None };
        let png = render(&screen, &StatusBar { platform: Platform::Ios, clock: &"9".repeat(99), bluetooth_on: true });
        assert_eq!(png_size(&png), (SCREEN_WIDTH, SCREEN_HEIGHT));
    }

    #[test]
    fn glyphs_cover_danish_and_fall_back_visibly() {
        for c in "aZ09æøåÆØÅéü'\"‘’“”".chars() {
            assert!(matches!(glyph(c), Glyph::Bitmap(rows) if rows != [0; 8]), "{c}");
        }
        assert!(matches!(glyph('•'), Glyph::Dot));
        assert!(matches!(glyph('日'), Glyph::Missing));
        assert!(matches!(glyph('\u{7}'), Glyph::Missing));
    }
}

//! Bar charts drawn on the server as SVG: no script, readable without
//! colour (every bar carries its number), scaled to the page's width.

use maud::{html, Markup};

/// A bar: its label, its value (what its length shows) and the text
/// written beside it.
pub(crate) struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

const WIDTH: f64 = 640.0;
const LABEL: f64 = 120.0;
const NUMBER: f64 = 90.0;
const ROW: f64 = 22.0;

/// Horizontal bars, one a row, the longest filling the width; `title`
/// names the chart for screen readers and as its caption.
pub(crate) fn bars(title: &str, bars: &[Bar]) -> Markup {
    let most = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let room = WIDTH - LABEL - NUMBER;
    let height = ROW * bars.len() as f64 + 4.0;
    html! {
        figure.chart {
            figcaption { (title) }
            @if bars.is_empty() {
                p.muted { "Nothing to show." }
            } @else {
                svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(title)
                    viewBox=(format!("0 0 {WIDTH} {height}")) width="100%" preserveAspectRatio="xMinYMin meet" {
                    title { (title) }
                    @for (i, b) in bars.iter().enumerate() {
                        @let y = ROW * i as f64 + 2.0;
                        @let length = if most > 0.0 { (b.value / most * room).max(0.0) } else { 0.0 };
                        g.bar {
                            text x=(LABEL - 8.0) y=(y + ROW * 0.68) text-anchor="end" { (b.label) }
                            rect x=(LABEL) y=(y + 3.0) width=(format!("{length:.1}")) height=(ROW - 6.0) {}
                            text x=(LABEL + length + 6.0) y=(y + ROW * 0.68) { (b.text) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_values_and_labels_are_escaped() {
        let svg = bars(
            "Per <month>",
            &[
                Bar {
                    label: "2024-01".into(),
                    value: 10.0,
                    text: "10".into(),
                },
                Bar {
                    label: "<b>".into(),
                    value: 5.0,
                    text: "5".into(),
                },
            ],
        )
        .into_string();
        assert!(svg.contains(r#"width="430.0""#), "{svg}");
        assert!(svg.contains(r#"width="215.0""#), "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("<title>Per &lt;month&gt;</title>"), "{svg}");
    }
}

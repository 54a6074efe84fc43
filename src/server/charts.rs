//! The insights' charts, drawn on the server as SVG with `plotters`, so they show without
//! JavaScript and print. Text in them (service names, say) is escaped by the SVG backend.

use crate::domain::incident::Severity;
use crate::domain::insights::{human, quantile};
use crate::error::{internal, AppResult};
use plotters::prelude::*;

const WIDTH: u32 = 640;
const FONT: (&str, u32) = ("sans-serif", 13);
const INK: RGBColor = RGBColor(0x1f, 0x29, 0x37);
const SEVERITY_COLOURS: [RGBColor; 4] =
    [RGBColor(0xb9, 0x1c, 0x1c), RGBColor(0xc2, 0x41, 0x0c), RGBColor(0x1d, 0x4e, 0xd8), RGBColor(0x4b, 0x55, 0x63)];

/// One box per group of at least five durations (seconds): the box spans the middle half, the bar
/// inside is the median, the whiskers reach the 10th and 90th percentiles. Minutes on a log axis,
/// since durations are skewed. None when no group is large enough to draw.
pub fn boxes(groups: &[(String, Vec<f64>)]) -> AppResult<Option<String>> {
    let drawn: Vec<(&str, [f64; 5])> = groups
        .iter()
        .filter(|(_, v)| v.len() >= crate::domain::insights::MIN_SAMPLE)
        .filter_map(|(label, v)| {
            let mut v: Vec<f64> = v.iter().map(|s| (s / 60.0).max(0.1)).collect();
            v.sort_by(f64::total_cmp);
            let q = |p| quantile(&v, p);
            Some((label.as_str(), [q(0.1)?, q(0.25)?, q(0.5)?, q(0.75)?, q(0.9)?]))
        })
        .collect();
    if drawn.is_empty() {
        return Ok(None);
    }
    let lo = drawn.iter().map(|d| d.1[0]).fold(f64::MAX, f64::min) / 1.5;
    let hi = drawn.iter().map(|d| d.1[4]).fold(0.0, f64::max) * 1.5;
    let height = 60 + 40 * drawn.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(internal)?;
        let rows = drawn.len() as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(110)
            .build_cartesian_2d((lo.max(0.05)..hi.max(1.0)).log_scale(), 0.0..rows)
            .map_err(internal)?;
        let names: Vec<&str> = drawn.iter().map(|d| d.0).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(drawn.len() * 2 + 1)
            .y_label_formatter(&|y| label_at(&names, *y))
            .x_labels(5)
            .max_light_lines(1)
            .x_label_formatter(&|m| human(m * 60.0))
            .x_desc("minutes (log scale)")
            .label_style(FONT)
            .axis_desc_style(FONT)
            .draw()
            .map_err(internal)?;
        // The first group (all incidents) on top.
        for (i, (_, [p10, p25, p50, p75, p90])) in drawn.iter().enumerate() {
            let y = rows - i as f64 - 0.5;
            let style = ShapeStyle { color: INK.to_rgba(), filled: false, stroke_width: 1 };
            let fill = ShapeStyle { color: RGBColor(0xdb, 0xea, 0xfe).to_rgba(), filled: true, stroke_width: 1 };
            let elements = [
                PathElement::new(vec![(*p10, y), (*p25, y)], style).into_dyn(),
                PathElement::new(vec![(*p75, y), (*p90, y)], style).into_dyn(),
                Rectangle::new([(*p25, y - 0.3), (*p75, y + 0.3)], fill).into_dyn(),
                Rectangle::new([(*p25, y - 0.3), (*p75, y + 0.3)], style).into_dyn(),
                PathElement::new(vec![(*p50, y - 0.3), (*p50, y + 0.3)], style.stroke_width(3)).into_dyn(),
            ];
            chart.draw_series(elements).map_err(internal)?;
        }
        root.present().map_err(internal)?;
    }
    Ok(Some(svg))
}

/// The group whose row is centred at `y`: the first at the top, each half a unit either side.
fn label_at(names: &[&str], y: f64) -> String {
    let from_top = names.len() as f64 - y - 0.5;
    if (from_top - from_top.round()).abs() > 0.01 || from_top < 0.0 {
        return String::new();
    }
    names.get(from_top.round() as usize).map(|s| s.to_string()).unwrap_or_default()
}

/// Incidents per week, one line per severity.
pub fn weekly(weeks: &[(chrono::NaiveDate, [usize; 4])]) -> AppResult<String> {
    let top = weeks.iter().flat_map(|w| w.1).max().unwrap_or(0).max(1) + 1;
    let last = weeks.len().saturating_sub(1).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 280)).into_drawing_area();
        root.fill(&WHITE).map_err(internal)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0..last, 0..top)
            .map_err(internal)?;
        let starts: Vec<String> = weeks.iter().map(|w| w.0.format("%d %b").to_string()).collect();
        chart
            .configure_mesh()
            .x_labels(weeks.len().min(6))
            .y_labels(top.min(6))
            .max_light_lines(1)
            .x_label_formatter(&|x| starts.get(*x).cloned().unwrap_or_default())
            .y_desc("incidents")
            .label_style(FONT)
            .axis_desc_style(FONT)
            .draw()
            .map_err(internal)?;
        for (s, sev) in Severity::ALL.iter().enumerate() {
            let colour = SEVERITY_COLOURS[s];
            let points = weeks.iter().enumerate().map(|(i, w)| (i, w.1[s]));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(internal)?
                .label(sev.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(FONT)
            .background_style(WHITE.mix(0.9))
            .border_style(INK.mix(0.4))
            .draw()
            .map_err(internal)?;
        root.present().map_err(internal)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_escape_their_labels_and_skip_small_groups() {
        let groups = vec![
            ("<script>alert(1)</script>".to_string(), vec![60.0, 120.0, 300.0, 600.0, 3600.0]),
            ("tiny".to_string(), vec![60.0]),
        ];
        let svg = boxes(&groups).unwrap().unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains(">tiny<"));
        assert_eq!(boxes(&[("tiny".into(), vec![1.0])]).unwrap(), None);
    }

    #[test]
    fn weekly_draws_a_line_per_severity() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let svg = weekly(&[(d, [1, 0, 2, 0]), (d + chrono::Duration::days(7), [0, 3, 0, 0])]).unwrap();
        for colour in ["#B91C1C", "#C2410C", "#1D4ED8", "#4B5563"] {
            let lines = svg.lines().filter(|l| l.starts_with("<polyline") && l.contains(colour)).count();
            assert_eq!(lines, 2, "{colour}: the line and its legend mark");
        }
        assert!(svg.contains("SEV1") && svg.contains("02 Nov"));
    }
}

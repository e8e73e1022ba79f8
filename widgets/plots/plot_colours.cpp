#include "plot_colours.h"

#include <QPalette>
#include <QWidget>

#include <algorithm>
#include <array>
#include <cmath>

namespace {

// Mid-luminance hues: each keeps >= 2.9:1 contrast against white and against a #1e1e1e dark
// background, so thin lines stay visible in both modes. Index 0 (the live run) is the calm blue;
// the others are the hues SeriesColours leaves free.
constexpr std::array<QRgb, 5> kRunColours = {SeriesColours::kP50, 0xd6336c, 0xa88a0a, 0x7f7f7f, 0x5f9a10};

// WCAG relative luminance: what contrast against a background depends on.
double luminance(const QColor& c) {
    const auto channel = [](double v) {
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

} // namespace

QColor runColour(int index) {
    const int n = static_cast<int>(kRunColours.size());
    const int i = std::max(0, index);
    if (i < n)
        return QColor(kRunColours[static_cast<std::size_t>(i)]);
    // Past the fixed set, shift the hue per round, then walk the lightness back into the band of
    // relative luminance that keeps the contrast of the fixed set (hue alone moves luminance a lot).
    // Grey has no hue: its round takes a colour of the live curves' set, shifted away from it.
    const int overlays = n - 1, round = (i - 1) / overlays, slot = 1 + (i - 1) % overlays;
    QColor colour(slot == 3 ? SeriesColours::kBurstFirst : kRunColours[static_cast<std::size_t>(slot)]);
    const int hue = (colour.hslHue() + 23 * round) % 360;
    int lightness = colour.lightness();
    for (int step = 0; step < 64; ++step) {
        colour = QColor::fromHsl(hue, colour.hslSaturation(), lightness);
        const double l = luminance(colour);
        if (l < 0.14)
            lightness += 3;
        else if (l > 0.30)
            lightness -= 3;
        else
            break;
    }
    return colour;
}

QColor mixColours(const QColor& a, const QColor& b, double weight) {
    const double w = std::clamp(weight, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() * w + b.redF() * (1 - w)),
                            static_cast<float>(a.greenF() * w + b.greenF() * (1 - w)),
                            static_cast<float>(a.blueF() * w + b.blueF() * (1 - w)));
}

QColor plotInkColour(const QWidget* plot, double weight) {
    const QPalette& palette = plot->palette();
    return mixColours(palette.color(QPalette::Text), palette.color(QPalette::Base), weight);
}

#include "plot_colours.h"

#include <QPalette>
#include <QWidget>

#include <algorithm>
#include <array>
#include <cmath>

namespace {

// Mid-luminance hues: each keeps >= 2.9:1 contrast against white and against a #1e1e1e dark
// background, so thin lines stay visible in both modes. Index 0 (the live run) is the calm blue.
constexpr std::array<QRgb, 8> kRunColours = {0x2f80ed, 0xe07010, 0x219a52, 0xd6336c,
                                             0x8e5cd9, 0x00a3a3, 0xa88a0a, 0x8d6e63};

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
    QColor colour(kRunColours[static_cast<std::size_t>(i % n)]);
    if (i < n)
        return colour;
    // Past the fixed set, shift the hue per round, then walk the lightness back into the band of
    // relative luminance that keeps the contrast of the fixed set (hue alone moves luminance a lot).
    const int hue = (colour.hslHue() + 23 * (i / n)) % 360;
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

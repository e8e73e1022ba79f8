#pragma once

#include <QString>

class QCPAxis;

// Log-scale axis in microseconds whose tick labels carry their unit ("100 µs", "1 ms") and stay
// readable however narrow or wide the range.
void setLatencyAxis(QCPAxis* axis);

// A duration given in microseconds with three significant digits and a unit that fits its size:
// "850 ns", "42.1 µs", "1.25 ms", "2 s".
QString formatMicros(double us);

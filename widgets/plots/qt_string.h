#pragma once

#include <QString>

#include <string>

// The core speaks UTF-8 std::string; the widgets speak QString. One spelling for the crossing.
inline QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

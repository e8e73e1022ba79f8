#include "compute_load.h"

#include <QObject>

#include <algorithm>
#include <cmath>

double computeLoad(long long tasks, le::Nanos work, le::Nanos period, int cores) {
    if (tasks <= 0 || work <= 0 || period <= 0)
        return 0;
    // A task cannot be busy more than all the time, however long its work.
    const double perTask = std::min(1.0, double(work) / double(period));
    return double(tasks) * perTask / double(std::max(1, cores));
}

QString computeLoadText(double load, int cores) {
    const QString percent = QString::number(std::round(load * 100), 'f', 0);
    if (load <= 1)
        return QObject::tr("load %1% of %2 cores").arg(percent).arg(cores);
    return QObject::tr("load %1% of %2 cores (needs %3)")
        .arg(percent)
        .arg(cores)
        .arg(QString::number(load * cores, 'g', 3));
}

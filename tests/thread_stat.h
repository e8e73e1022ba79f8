#pragma once

// What /proc says of each thread of a process (its stat line), for suites that check where the
// window's threads run: their nice value, their scheduling policy.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>
#include <QString>

#include <map>

// Field `field` (numbered as in proc(5): 19 nice, 41 policy) of /proc/PID/task/TID/stat, or
// `missing` when the thread is gone or the line is short.
inline int threadStatField(qint64 pid, qint64 tid, int field, int missing = -100) {
    QFile f(QStringLiteral("/proc/%1/task/%2/stat").arg(pid).arg(tid));
    if (!f.open(QIODevice::ReadOnly))
        return missing;
    // "pid (comm) state ...": comm may hold spaces and parentheses, so cut at the last ')'.
    const QByteArray stat = f.readAll();
    const QList<QByteArray> rest = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return rest.size() > field - 3 ? rest[field - 3].toInt() : missing; // rest starts at field 3
}

// That field for every thread of process `pid`, by thread id.
inline std::map<qint64, int> threadStatFields(qint64 pid, int field) {
    std::map<qint64, int> values;
    for (const QString& tid :
         QDir(QStringLiteral("/proc/%1/task").arg(pid)).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        values[tid.toLongLong()] = threadStatField(pid, tid.toLongLong(), field);
    return values;
}

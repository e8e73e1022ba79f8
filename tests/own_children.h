#pragma once

// The processes this test started, found the way `ps` would (by parent pid and command name in
// /proc), instead of asking the widgets that started them for a pid they need not expose.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>
#include <QString>

#include <unistd.h>

// Pids of this process's living children (zombies left out) whose command name is `comm`.
inline QList<qint64> ownChildren(const QByteArray& comm) {
    QList<qint64> found;
    for (const QString& pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (pid.toLongLong() <= 0 || !f.open(QIODevice::ReadOnly))
            continue;
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ')'.
        const QByteArray stat = f.readAll();
        const qsizetype open = stat.indexOf('('), close = stat.lastIndexOf(')');
        if (open < 0 || close < open)
            continue;
        const QList<QByteArray> rest = stat.mid(close + 2).split(' ');
        if (stat.mid(open + 1, close - open - 1) == comm && rest.size() > 1 && rest[0] != "Z" &&
            rest[1].toLongLong() == ::getpid())
            found << pid.toLongLong();
    }
    return found;
}

#pragma once

// Answers the next modal dialog (a quit prompt, a file dialog) the way a user would, from a timer:
// the test calls answerNextModal() before the action that opens it.
#include <QApplication>
#include <QTimer>
#include <QWidget>

#include <functional>

// Calls `answer` with the next modal widget that appears within `timeoutMs`.
inline void answerNextModal(std::function<void(QWidget*)> answer, int timeoutMs = 10000) {
    auto* timer = new QTimer(qApp);
    auto* waited = new int(0);
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, waited, answer, timeoutMs] {
        QWidget* modal = QApplication::activeModalWidget();
        *waited += 20;
        if (!modal && *waited < timeoutMs)
            return;
        timer->stop();
        timer->deleteLater();
        delete waited;
        if (modal)
            answer(modal);
    });
    timer->start();
}

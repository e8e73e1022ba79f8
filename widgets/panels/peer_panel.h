#pragma once

#include "endpoint.h"
#include "engine_kind.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QWidget>

#include <optional>
#include <vector>

// Where the pong runs and how to reach it: a local latency-pong child (default), a pong inside this
// process, or an existing peer (any echo service). Start is enabled only when nothing runs. Its
// parts are named for tests: "modeBox", "hostEdit", "portEdit", "startButton", "stopButton",
// "stateLabel", and under the engine the kernel-timestamp split's toggle "kernelTimestampsBox", red
// while the split is on but does not work (its tooltip then says why; so does the split plot).
class PeerPanel : public QWidget {
    Q_OBJECT
public:
    enum class Mode { Child, InProcess, Existing };

    explicit PeerPanel(QWidget* parent = nullptr);

    Mode mode() const { return Mode(m_mode->currentIndex()); }
    le::Transport transport() const;
    le::EngineKind engine() const;
    // The existing peer's URL from host/port (or the URL typed in host); throws std::invalid_argument.
    le::Endpoint existingPeer() const;

    // CPU placement typed by the user (empty = not pinned); throws std::invalid_argument.
    std::vector<int> pingCpus() const;
    std::vector<int> pongCpus() const;
    QLineEdit* pingCpusEdit() const { return m_pingCpus; }
    QLineEdit* pongCpusEdit() const { return m_pongCpus; }

    void setMode(Mode m) { m_mode->setCurrentIndex(int(m)); }
    void setTransport(le::Transport t);
    void setEngine(le::EngineKind e);
    void setExistingPeer(const le::Endpoint& ep);
    // Shown state: "running", "peer lost: ...", ...; `running` gates Start/Stop; `detail` is the
    // state's tooltip (what to do next). Keep `text` to two lines of the dock's width.
    void setState(const QString& text, bool running, bool failed, const QString& detail = {});

    // The kernel-timestamp split (--kernel-timestamps), which may be toggled while running.
    bool kernelTimestamps() const { return m_kernelTimestamps->isChecked(); }
    QCheckBox* kernelTimestampsBox() const { return m_kernelTimestamps; }
    // Whether the running split works, in the newest record's words: "yes" or empty (nothing known
    // yet) leave the toggle as it is; "no: why" turns it red with the reason first in its tooltip.
    // The panel keeps its height: at 720 pixels it has no line to spare for the reason.
    void setSplitState(const QString& availability);

    // The window's remembered settings read and restore these as they are (the existing peer's host
    // and port included, as typed).
    QComboBox* transportBox() const { return m_transport; }
    QComboBox* engineBox() const { return m_engine; }
    QLineEdit* hostEdit() const { return m_host; }
    QLineEdit* portEdit() const { return m_port; }

signals:
    void startRequested();
    void stopRequested();
    void engineChanged();                  // while running: the window restarts the data path
    void kernelTimestampsChanged(bool on); // the user toggled the split (running or not)

private:
    void updateEnabled();
    static std::vector<int> cpuList(const QLineEdit* edit);

    QComboBox* m_mode;
    QComboBox* m_transport;
    QComboBox* m_engine;
    QLineEdit* m_host;
    QLineEdit* m_port;
    QLineEdit* m_pingCpus;
    QLineEdit* m_pongCpus;
    QPushButton* m_start;
    QPushButton* m_stop;
    QLabel* m_state;
    QCheckBox* m_kernelTimestamps;
    QString m_splitHelp;  // the toggle's tooltip when the split works
    QString m_splitState; // the availability shown ("no: why"), else empty
    bool m_running = false;
};

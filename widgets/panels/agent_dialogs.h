#pragma once

#include "agent_connection.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>

// The three small forms of the Peers panel. Each returns nothing when cancelled; values are
// checked before the dialog closes (the user sees what is wrong and can fix it in place).
namespace AgentDialogs {

// An agent reachable directly: host, control port, token file.
std::optional<AgentTarget> askDirect(QWidget* parent);
// An agent started over ssh: host, user, port, remote latency-pong path, extra ssh options.
std::optional<AgentTarget> askSsh(QWidget* parent);
// A pong endpoint on the agent's host: transport, engine, port, tasks, impairments.
std::optional<le::AgentEndpointSpec> askEndpoint(QWidget* parent);

// "-i key -o 'UserKnownHostsFile=/a b'" as ssh arguments (shell-like quoting).
QStringList splitOptions(const QString& text);

} // namespace AgentDialogs

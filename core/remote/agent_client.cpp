#include "agent_client.h"

#include "agent_auth.h"
#include "agent_protocol.h"
#include "socket.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace le {
namespace {

using nlohmann::json;

#ifndef LE_VERSION
#define LE_VERSION "unknown"
#endif

bool is_wildcard(const std::string& host) {
    return host.empty() || host == "0.0.0.0" || host == "::";
}

Endpoint parse_control_url(const std::string& url) {
    Endpoint ep;
    try {
        ep = parse_endpoint(url.find("://") == std::string::npos ? "tcp://" + url : url);
    } catch (const std::exception&) {
        throw AgentError(fmt::format("invalid agent URL '{}' (expected tcp://HOST:PORT)", url), false);
    }
    if (ep.transport != Transport::Tcp)
        throw AgentError(fmt::format("invalid agent URL '{}': the control channel is tcp://HOST:PORT", url),
                         false);
    return ep;
}

class Client : public AgentClient {
public:
    Client(Endpoint control, std::string data_host, Nanos timeout)
        : m_control(std::move(control))
        , m_data_host(data_host.empty() ? m_control.host : std::move(data_host))
        , m_timeout(timeout) {}

    void handshake(const std::string& token) {
        try {
            m_fd = connect_to(m_control, m_timeout);
        } catch (const std::exception& e) {
            throw AgentError(e.what(), false);
        }
        set_nonblocking(m_fd.get(), true);
        const std::string nonce = random_nonce();
        send_line({{"type", "hello"},
                   {"protocol", kAgentProtocol},
                   {"client", std::string("latency-explorer ") + LE_VERSION},
                   {"nonce", nonce}});
        const AgentMessage hello = read_message(now_ns() + m_timeout);
        if (hello.type == "error")
            fail_with(hello, "the agent refused the connection");
        if (hello.type != "hello")
            lose(fmt::format("the agent answered hello with '{}'", hello.type));
        int protocol = 0;
        std::string auth, expected_proof;
        try {
            protocol = static_cast<int>(agent_int(hello.body, "protocol", 0, INT32_MAX));
            auth = agent_string(hello.body, "auth");
        } catch (const AgentProtocolError& e) {
            lose(fmt::format("bad hello from the agent: {}", e.what()));
        }
        if (protocol != kAgentProtocol)
            lose(fmt::format("the agent speaks protocol {}, this build {}; use matching versions", protocol,
                             kAgentProtocol));
        if (auth == "hmac-sha256") {
            if (token.empty())
                lose(fmt::format("the agent at {} requires a token (--token-file FILE)", m_control.url()));
            std::string challenge;
            try {
                challenge = agent_string(hello.body, "challenge");
            } catch (const AgentProtocolError& e) {
                lose(fmt::format("bad hello from the agent: {}", e.what()));
            }
            if (!is_nonce(challenge))
                lose("bad hello from the agent: its challenge is not a nonce");
            // We prove first (the agent tells nobody anything before), then the agent must.
            send_line({{"type", "auth"}, {"response", client_proof(token, challenge, nonce)}});
            expected_proof = agent_proof(token, nonce, challenge);
        } else if (auth == "none") {
            if (!token.empty())
                lose(fmt::format(
                    "the agent at {} asks for no token, but this client holds one: refused, since "
                    "any program could answer so (a fake agent). Start the agent with the same "
                    "--token-file, or connect without a token",
                    m_control.url()));
        } else {
            lose(fmt::format("the agent asks for authentication '{}', which this build does not know", auth));
        }
        const AgentMessage welcome = read_message(now_ns() + m_timeout);
        if (welcome.type == "error")
            fail_with(welcome, "the agent refused the connection");
        if (welcome.type != "welcome")
            lose(fmt::format("the agent answered with '{}' instead of welcome", welcome.type));
        if (!expected_proof.empty()) {
            const auto proof = welcome.body.find("proof");
            if (proof == welcome.body.end() || !proof->is_string() ||
                !proofs_equal(proof->get_ref<const std::string&>(), expected_proof))
                lose(fmt::format("the agent at {} did not prove that it knows the token (a fake agent?); "
                                 "connection refused",
                                 m_control.url()));
        }
        try {
            m_facts = host_facts_from_json(agent_field(welcome.body, "host"));
        } catch (const AgentProtocolError& e) {
            lose(fmt::format("bad welcome from the agent: {}", e.what()));
        }
    }

    const HostFacts& host_facts() const override { return m_facts; }

    AgentEndpointInfo create_endpoint(const AgentEndpointSpec& spec) override {
        std::lock_guard lock(m_mutex);
        AgentEndpointSpec s = spec;
        // Data goes to an IPv6 address: the endpoint must listen on IPv6 ("::" takes IPv4 too).
        if (s.bind_host == "0.0.0.0" && m_data_host.find(':') != std::string::npos)
            s.bind_host = "::";
        const AgentMessage r = request({{"type", "create"}, {"spec", endpoint_spec_to_json(s)}}, "created");
        return decode_info(r.body, "endpoint");
    }

    void destroy_endpoint(int id) override {
        std::lock_guard lock(m_mutex);
        request({{"type", "destroy"}, {"endpoint", id}}, "destroyed");
    }

    std::vector<AgentEndpointInfo> list_endpoints() override {
        std::lock_guard lock(m_mutex);
        const AgentMessage r = request({{"type", "list"}}, "endpoints");
        const auto list = r.body.find("endpoints");
        if (list == r.body.end() || !list->is_array())
            lose("bad answer from the agent: 'endpoints' is not a list");
        std::vector<AgentEndpointInfo> out;
        for (const json& e : *list)
            out.push_back(decode_info(json{{"endpoint", e}}, "endpoint"));
        return out;
    }

    AgentResidence residence(int endpoint, Nanos timeout) override {
        std::lock_guard lock(m_mutex);
        const Nanos usual = std::exchange(m_timeout, std::min(timeout, m_timeout));
        struct Restore {
            Nanos& timeout;
            Nanos usual;
            ~Restore() { timeout = usual; }
        } restore{m_timeout, usual};
        const AgentMessage r = request({{"type", "residence"}, {"endpoint", endpoint}}, "residence");
        try {
            return residence_from_json(r.body);
        } catch (const AgentProtocolError& e) {
            lose(fmt::format("bad answer from the agent: {}", e.what()));
        }
    }

    Nanos ping() override {
        std::lock_guard lock(m_mutex);
        const Nanos t0 = now_ns();
        request({{"type", "ping"}}, "pong");
        return now_ns() - t0;
    }

    bool connected() const override {
        std::lock_guard lock(m_mutex);
        return static_cast<bool>(m_fd) && !m_lost;
    }

    void close() override {
        std::lock_guard lock(m_mutex);
        m_fd.reset();
        m_lost = true;
    }

private:
    [[noreturn]] void lose(const std::string& why) {
        m_fd.reset();
        m_lost = true;
        throw AgentError(why, true);
    }

    // An error message from the agent: a refusal of the request (the connection goes on) or, without
    // an id, of the connection.
    [[noreturn]] void fail_with(const AgentMessage& m, const std::string& context) {
        std::string text = context, code;
        if (const auto it = m.body.find("message"); it != m.body.end() && it->is_string())
            text = it->get<std::string>();
        if (const auto it = m.body.find("code"); it != m.body.end() && it->is_string())
            code = it->get<std::string>();
        if (m.id < 0 || code == agent_code::kAuth || code == agent_code::kVersion)
            lose(fmt::format("agent {}: {}", m_control.url(), text));
        throw AgentError(fmt::format("agent {}: {}", m_control.url(), text), false, code);
    }

    AgentEndpointInfo decode_info(const json& body, const char* key) {
        AgentEndpointInfo info;
        try {
            info = endpoint_info_from_json(agent_field(body, key));
        } catch (const AgentProtocolError& e) {
            lose(fmt::format("bad answer from the agent: {}", e.what()));
        }
        if (is_wildcard(info.endpoint.host))
            info.endpoint.host = m_data_host;
        return info;
    }

    AgentMessage request(json message, const char* expected) {
        if (!m_fd || m_lost)
            throw AgentError(fmt::format("not connected to the agent at {}", m_control.url()), true);
        const std::int64_t id = m_next_id++;
        message["id"] = id;
        send_line(message);
        const Nanos deadline = now_ns() + m_timeout;
        for (;;) {
            AgentMessage m = read_message(deadline);
            if (m.type == "error" && (m.id == id || m.id < 0))
                fail_with(m, "the agent refused the request");
            if (m.id != id)
                continue; // the late answer to an earlier request
            if (m.type != expected)
                lose(fmt::format("the agent answered '{}' with '{}'", message["type"].get<std::string>(),
                                 m.type));
            return m;
        }
    }

    void send_line(const json& message) {
        const std::string line = encode_agent_message(message);
        std::size_t done = 0;
        const Nanos deadline = now_ns() + m_timeout;
        while (done < line.size()) {
            const ssize_t n = ::send(m_fd.get(), line.data() + done, line.size() - done, MSG_NOSIGNAL);
            if (n > 0) {
                done += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                lose(fmt::format("connection to the agent at {} lost: {}", m_control.url(),
                                 std::strerror(errno)));
            wait(POLLOUT, deadline);
        }
    }

    void wait(short events, Nanos deadline) {
        for (;;) {
            const Nanos left = deadline - now_ns();
            if (left <= 0)
                lose(fmt::format("no answer from the agent at {} within {} s; connection given up",
                                 m_control.url(), static_cast<double>(m_timeout) / 1e9));
            pollfd p{m_fd.get(), events, 0};
            const int rc = ::poll(&p, 1, static_cast<int>(std::min<Nanos>(left / kNanosPerMilli + 1, 1000)));
            if (rc > 0)
                return;
            if (rc < 0 && errno != EINTR)
                lose(fmt::format("connection to the agent at {} lost: {}", m_control.url(),
                                 std::strerror(errno)));
        }
    }

    AgentMessage read_message(Nanos deadline) {
        for (;;) {
            if (const auto nl = m_in.find('\n'); nl != std::string::npos) {
                const std::string line = m_in.substr(0, nl);
                m_in.erase(0, nl + 1);
                AgentParseResult r = parse_agent_message(line);
                if (!r.message)
                    lose(fmt::format("the agent at {} sent a bad message: {}", m_control.url(), r.error));
                return std::move(*r.message);
            }
            if (m_in.size() > kAgentMaxLine + 1)
                lose(fmt::format("the agent at {} sent a message longer than {} bytes", m_control.url(),
                                 kAgentMaxLine));
            char buffer[4096];
            const ssize_t n = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
            if (n > 0) {
                m_in.append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0) {
                lose(fmt::format("the agent at {} closed the connection", m_control.url()));
            } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                wait(POLLIN, deadline);
            } else {
                lose(fmt::format("connection to the agent at {} lost: {}", m_control.url(),
                                 std::strerror(errno)));
            }
        }
    }

    const Endpoint m_control;
    const std::string m_data_host;
    Nanos m_timeout;            // a request's; residence() shortens it for its own
    mutable std::mutex m_mutex; // serialises requests
    Fd m_fd;
    bool m_lost = false;
    std::string m_in;
    std::int64_t m_next_id = 1;
    HostFacts m_facts;
};

} // namespace

std::unique_ptr<AgentClient> AgentClient::connect(const std::string& url, const std::string& token,
                                                  const std::string& data_host, Nanos timeout) {
    auto client = std::make_unique<Client>(parse_control_url(url), data_host, timeout);
    if (!token.empty()) {
        try {
            check_token_strength(token);
        } catch (const std::invalid_argument& e) {
            throw AgentError(e.what(), false);
        }
    }
    client->handshake(token);
    return client;
}

std::string read_token_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw std::runtime_error(fmt::format("token file '{}': {}", path, std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        throw std::runtime_error(fmt::format("token file '{}' is not a regular file", path));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw std::runtime_error(fmt::format(
            "token file '{}' is readable by others; make it private (chmod 600 '{}')", path, path));
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(
            fmt::format("token file '{}' cannot be read: {}", path, std::strerror(errno)));
    std::string line;
    std::getline(in, line);
    const auto first = line.find_first_not_of(" \t\r\n");
    const auto last = line.find_last_not_of(" \t\r\n");
    if (first == std::string::npos)
        throw std::runtime_error(
            fmt::format("token file '{}' is empty (its first line holds the token)", path));
    std::string token = line.substr(first, last - first + 1);
    try {
        check_token_strength(token);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("token file '{}': {}", path, e.what()));
    }
    return token;
}

} // namespace le

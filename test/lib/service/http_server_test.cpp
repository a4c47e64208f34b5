#include "sfcrimed/http_server.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sfcrimed/basic_auth.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/tls_context.hpp"
#include "temp_files.hpp"
#include "test_certificate.hpp"

using sfcrimed::http::Response;
using sfcrimed::http::Server;
using sfcrimed::http::ServerOptions;
using tcp = boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

namespace {

// Sends raw request bytes on one connection and returns everything the server answered
// until it closed the connection.
std::string exchange(const tcp::endpoint& endpoint, const std::string& requests) {
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect(endpoint);
  boost::asio::write(socket, boost::asio::buffer(requests));
  std::string answer;
  boost::system::error_code error;
  boost::asio::read(socket, boost::asio::dynamic_buffer(answer), error);
  CHECK(error == boost::asio::error::eof);
  return answer;
}

// A server on a free loopback port, its loop on a thread of its own.
class RunningServer {
 public:
  explicit RunningServer(sfcrimed::http::ServerOptions options = {}) : server_(io_, "127.0.0.1:0", std::move(options)) {
    server_.route("/hello", [] { return Response{200, "text/plain", "hi\n"}; });
    server_.route("/down", [] { return Response{503, "text/plain", "not ready: starting\n"}; });
    server_.route("/throws", []() -> Response { throw std::runtime_error("broken handler"); });
    server_.route("/healthz", [] { return Response{200, "text/plain", "ok\n"}; });
    events_ = server_.events("/events");
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningServer() {
    try {
      boost::asio::post(io_, [this] { server_.stop(); });
      io_.stop();
      thread_.join();
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
    }
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  [[nodiscard]] tcp::endpoint endpoint() const { return server_.endpoint(); }
  [[nodiscard]] std::string url() const { return server_.url(); }

  // Runs `work` on the server's loop, where the event stream lives, and returns its result.
  template <typename Work>
  auto on_loop(Work work) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }
  void publish(const std::string& data) {
    on_loop([&] {
      events_->publish(data);
      return 0;
    });
  }
  std::size_t event_clients() {
    return on_loop([&] { return events_->clients(); });
  }
  void stop() {
    on_loop([&] {
      server_.stop();
      return 0;
    });
  }

 private:
  boost::asio::io_context io_;
  Server server_;
  std::shared_ptr<sfcrimed::http::EventStream> events_;
  std::thread thread_;
};

// A client of an event stream: reads the stream as it comes.
class EventReader {
 public:
  explicit EventReader(const tcp::endpoint& endpoint, const std::string& authorization = "") : socket_(io_) {
    socket_.connect(endpoint);
    const std::string credentials = authorization.empty() ? "" : "Authorization: " + authorization + "\r\n";
    boost::asio::write(
        socket_, boost::asio::buffer(std::string("GET /events HTTP/1.1\r\nHost: test\r\n") + credentials + "\r\n"));
  }
  // Everything up to and including the next blank line ("\r\n\r\n" for the header).
  std::string next(const std::string& end = "\n\n") {
    const std::size_t size = boost::asio::read_until(socket_, boost::asio::dynamic_buffer(buffer_), end);
    std::string part = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return part;
  }
  // Reads to the end; true when the server closed the connection.
  bool closed_by_server() {
    boost::system::error_code error;
    boost::asio::read(socket_, boost::asio::dynamic_buffer(buffer_), error);
    return error == boost::asio::error::eof;
  }
  void close() { socket_.close(); }

 private:
  boost::asio::io_context io_;
  tcp::socket socket_;
  std::string buffer_;
};

// Connections that send raw bytes (half a request, garbage, a huge header, nothing) and
// collect what comes back, all on one loop of the test's: clients that misbehave, and
// many of them at once.
class RawClients {
 public:
  RawClients(const tcp::endpoint& endpoint, std::size_t count, std::string bytes) : bytes_(std::move(bytes)) {
    for (std::size_t i = 0; i < count; ++i) {
      auto connection = std::make_unique<Connection>(io_);
      connection->socket.connect(endpoint);
      connections_.push_back(std::move(connection));
    }
  }

  // Sends the bytes on every connection and reads each until the server closes it, or
  // `limit` passes; how many the server closed (end of file after whatever it answered).
  std::size_t closed_within(std::chrono::milliseconds limit) {
    for (auto& connection : connections_) {
      if (!bytes_.empty()) {
        boost::asio::async_write(connection->socket, boost::asio::buffer(bytes_),
                                 [](boost::system::error_code, std::size_t) {});
      }
      read(*connection);
    }
    io_.run_for(limit);
    std::size_t closed = 0;
    for (const auto& connection : connections_) {
      closed += connection->ended == boost::asio::error::eof ? 1 : 0;
    }
    return closed;
  }

  [[nodiscard]] const std::string& received(std::size_t i) const { return connections_.at(i)->received; }

 private:
  struct Connection {
    explicit Connection(boost::asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::string received;
    std::array<char, 4096> chunk{};
    boost::system::error_code ended;
  };

  static void read(Connection& connection) {
    connection.socket.async_read_some(boost::asio::buffer(connection.chunk),
                                      [&connection](boost::system::error_code error, std::size_t bytes) {
                                        connection.received.append(connection.chunk.data(), bytes);
                                        if (error) {
                                          connection.ended = error;
                                        } else {
                                          read(connection);
                                        }
                                      });
  }

  boost::asio::io_context io_;
  std::string bytes_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

// A TLS client that trusts `ca_file` alone and requires the certificate to be 127.0.0.1's.
class TlsClient {
 public:
  explicit TlsClient(const std::string& ca_file) : context_(ssl::context::tls_client) {
    context_.load_verify_file(ca_file);
    context_.set_verify_mode(ssl::verify_peer);
  }

  [[nodiscard]] ssl::context& context() { return context_; }

  // A connection, its handshake done.
  std::unique_ptr<ssl::stream<tcp::socket>> connect(boost::asio::io_context& io, const tcp::endpoint& endpoint) {
    auto stream = std::make_unique<ssl::stream<tcp::socket>>(io, context_);
    stream->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream->next_layer().connect(endpoint);
    stream->handshake(ssl::stream_base::client);
    return stream;
  }

  // Sends `requests` on one connection; everything answered until the server closed it.
  std::string exchange(const tcp::endpoint& endpoint, const std::string& requests) {
    boost::asio::io_context io;
    const auto stream = connect(io, endpoint);
    boost::asio::write(*stream, boost::asio::buffer(requests));
    std::string answer;
    boost::system::error_code error;
    boost::asio::read(*stream, boost::asio::dynamic_buffer(answer), error);
    CHECK(error == boost::asio::error::eof);  // the server's close_notify, not a cut
    return answer;
  }

 private:
  ssl::context context_;
};

// "GET PATH HTTP/1.1" with these credentials (an Authorization header's value, or none).
std::string get(const std::string& path, const std::string& authorization = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" +
         (authorization.empty() ? "" : "Authorization: " + authorization + "\r\n") + "Connection: close\r\n\r\n";
}

// Authorization headers: "Basic " and the base-64 of "name:password".
constexpr const char* kRight = "Basic cHJvbWV0aGV1czpyaWdodCBwYXNzd29yZA==";  // prometheus:right password
constexpr const char* kWrong = "Basic cHJvbWV0aGV1czp3cm9uZyBwYXNzd29yZA==";  // prometheus:wrong password

ServerOptions with_users() {
  ServerOptions options;
  options.users = {{"prometheus", sfcrimed::http::bcrypt_hash("right password")}};
  return options;
}

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a taken port is an error at construction, naming the address", "[http]") {
  boost::asio::io_context io;
  Server first(io, "127.0.0.1:0");
  const std::string taken = "127.0.0.1:" + std::to_string(first.endpoint().port());
  CHECK_THROWS_WITH(Server(io, taken), Catch::StartsWith("cannot serve HTTP on " + taken + " (") &&
                                           Catch::Contains("set metrics.listen to another address"));
}

TEST_CASE("GET answers from the route, with status, type and length", "[http]") {
  const RunningServer server;
  const std::string answer =
      exchange(server.endpoint(), "GET /hello?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(answer, Catch::Contains("Content-Type: text/plain\r\n"));
  CHECK_THAT(answer, Catch::Contains("Content-Length: 3\r\n"));
  CHECK_THAT(answer, Catch::Contains("Cache-Control: no-store\r\n"));
  CHECK_THAT(answer, Catch::EndsWith("\r\n\r\nhi\n"));
}

TEST_CASE("a kept-alive connection answers request after request", "[http]") {
  const RunningServer server;
  const std::string answer =
      exchange(server.endpoint(),
               "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /down HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(answer, Catch::Contains("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK_THAT(answer, Catch::EndsWith("not ready: starting\n"));
}

TEST_CASE("HEAD, other methods, unknown paths and failing handlers", "[http]") {
  const RunningServer server;
  const std::string head = exchange(server.endpoint(), "HEAD /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(head, Catch::Contains("Content-Length: 3\r\n"));
  CHECK_THAT(head, Catch::EndsWith("\r\n\r\n"));
  const std::string post = exchange(
      server.endpoint(), "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab");
  CHECK_THAT(post, Catch::StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK_THAT(post, Catch::Contains("Allow: GET, HEAD\r\n"));
  const std::string missing = exchange(server.endpoint(), "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(missing, Catch::StartsWith("HTTP/1.1 404 Not Found\r\n"));
  CHECK_THAT(missing, Catch::EndsWith("the paths served here are: /down /healthz /hello /throws /events\n"));
  const std::string failing =
      exchange(server.endpoint(), "GET /throws HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(failing, Catch::StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
  CHECK_THAT(failing, Catch::EndsWith("error: broken handler\n"));
}

TEST_CASE("an event stream sends each client every event, the latest first, until it leaves", "[http]") {
  RunningServer server;
  EventReader first(server.endpoint());
  const std::string header = first.next("\r\n\r\n");
  CHECK_THAT(header, Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::Contains("Content-Type: text/event-stream") &&
                         Catch::Contains("Cache-Control: no-store"));
  CHECK(first.next() == "retry: 2000\n\n");  // how soon EventSource reconnects
  CHECK(server.event_clients() == 1);

  server.publish(R"({"calls":1})");
  CHECK(first.next() == "data: {\"calls\":1}\n\n");
  server.publish(R"({"calls":2})");
  CHECK(first.next() == "data: {\"calls\":2}\n\n");

  // A client that comes later gets the latest state at once.
  EventReader second(server.endpoint());
  CHECK_THAT(second.next("\r\n\r\n"), Catch::Contains("text/event-stream"));
  CHECK(second.next() == "retry: 2000\n\n");
  CHECK(second.next() == "data: {\"calls\":2}\n\n");

  // The first leaves: the server notices (its pending read ends) and forgets it.
  first.close();
  for (int i = 0; i < 200 && server.event_clients() != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(server.event_clients() == 1);
  server.publish(R"({"calls":3})");
  CHECK(second.next() == "data: {\"calls\":3}\n\n");

  // Stopping the server ends the stream.
  server.stop();
  CHECK(second.closed_by_server());
}

TEST_CASE("TLS: answers and event streams to a client that verifies the certificate, TLS 1.2 at least", "[http][tls]") {
  const sfcrimed::test::TempDir dir;
  const auto certificate = sfcrimed::test::make_test_certificate(dir);
  ServerOptions options;
  options.tls = sfcrimed::http::server_tls_context(certificate.certificate, certificate.key);
  RunningServer server(std::move(options));
  CHECK_THAT(server.url(), Catch::StartsWith("https://127.0.0.1:"));
  TlsClient client(certificate.certificate);

  const std::string answer = client.exchange(server.endpoint(), get("/hello"));
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::EndsWith("\r\n\r\nhi\n"));
  const std::string two = client.exchange(server.endpoint(), "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/down"));
  CHECK_THAT(two, Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::Contains("HTTP/1.1 503 Service Unavailable"));

  boost::asio::io_context io;
  const auto events = client.connect(io, server.endpoint());
  boost::asio::write(*events, boost::asio::buffer(std::string("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")));
  std::string received;
  boost::asio::read_until(*events, boost::asio::dynamic_buffer(received), "retry: 2000\n\n");
  CHECK_THAT(received, Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::Contains("text/event-stream"));
  received.clear();
  for (int i = 0; i < 200 && server.event_clients() != 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  server.publish(R"({"calls":7})");
  boost::asio::read_until(*events, boost::asio::dynamic_buffer(received), "\n\n");
  CHECK(received == "data: {\"calls\":7}\n\n");

  // A client that offers TLS 1.1 at most gets no connection.
  TlsClient old(certificate.certificate);
  SSL_CTX_set_max_proto_version(old.context().native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_cipher_list(old.context().native_handle(), "DEFAULT:@SECLEVEL=0");
  boost::asio::io_context old_io;
  CHECK_THROWS_AS(old.connect(old_io, server.endpoint()), boost::system::system_error);
}

TEST_CASE("TLS: a plain-HTTP client, or one that says nothing, is closed with no answer", "[http][tls]") {
  const sfcrimed::test::TempDir dir;
  const auto certificate = sfcrimed::test::make_test_certificate(dir);
  ServerOptions options;
  options.tls = sfcrimed::http::server_tls_context(certificate.certificate, certificate.key);
  options.header_timeout = 300ms;
  const RunningServer server(std::move(options));
  RawClients plain(server.endpoint(), 1, get("/hello"));
  CHECK(plain.closed_within(10s) == 1);
  CHECK_THAT(plain.received(0), !Catch::Contains("HTTP/") && !Catch::Contains("hi\n"));
  // No handshake at all: closed once the header timeout is over.
  const auto start = std::chrono::steady_clock::now();
  RawClients silent(server.endpoint(), 1, "");
  CHECK(silent.closed_within(10s) == 1);
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(silent.received(0).empty());
}

TEST_CASE("basic authentication: 401 with a challenge and no data without the right password", "[http][auth]") {
  RunningServer server(with_users());
  for (const std::string& authorization : {std::string(), std::string(kWrong), std::string("Bearer abc")}) {
    INFO(authorization);
    const std::string refused = exchange(server.endpoint(), get("/hello", authorization));
    CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 401 Unauthorized\r\n"));
    CHECK_THAT(refused, Catch::Contains("WWW-Authenticate: Basic realm=\"sfcrimed\", charset=\"UTF-8\"\r\n"));
    CHECK_THAT(refused, Catch::EndsWith("\r\n\r\nauthentication required\n"));
  }
  // Every path: unknown ones (no list of paths), the event stream, and /healthz too.
  CHECK_THAT(exchange(server.endpoint(), get("/nope")),
             Catch::StartsWith("HTTP/1.1 401 ") && !Catch::Contains("/hello"));
  CHECK_THAT(exchange(server.endpoint(), get("/events")), Catch::StartsWith("HTTP/1.1 401 "));
  CHECK_THAT(exchange(server.endpoint(), get("/healthz")), Catch::StartsWith("HTTP/1.1 401 "));
  CHECK(server.event_clients() == 0);
  // HEAD: the challenge, and no body after the header, as HEAD has none.
  const std::string head = exchange(server.endpoint(), "HEAD /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK_THAT(head, Catch::StartsWith("HTTP/1.1 401 ") && Catch::EndsWith("\r\n\r\n"));

  CHECK_THAT(exchange(server.endpoint(), get("/hello", kRight)),
             Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::EndsWith("\r\n\r\nhi\n"));
  // Twice on one kept-alive connection (the second from memory), as a scraper does.
  const std::string twice =
      exchange(server.endpoint(), "GET /hello HTTP/1.1\r\nHost: t\r\nAuthorization: " + std::string(kRight) +
                                      "\r\n\r\n" + get("/down", kRight));
  CHECK_THAT(twice, Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::Contains("HTTP/1.1 503 "));
  EventReader events(server.endpoint(), kRight);
  CHECK_THAT(events.next("\r\n\r\n"), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("basic authentication: a public path (metrics.open_healthz's /healthz) needs none", "[http][auth]") {
  ServerOptions options = with_users();
  options.public_paths = {"/healthz"};
  const RunningServer server(std::move(options));
  CHECK_THAT(exchange(server.endpoint(), get("/healthz")), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(exchange(server.endpoint(), get("/healthz?verbose")), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(exchange(server.endpoint(), get("/hello")), Catch::StartsWith("HTTP/1.1 401 "));
}

TEST_CASE("a half-sent request is dropped, unanswered, after the header timeout", "[http][limits]") {
  ServerOptions options;
  options.header_timeout = 300ms;
  const RunningServer server(std::move(options));
  const auto start = std::chrono::steady_clock::now();
  RawClients half(server.endpoint(), 1, "GET /hello HTTP/1.1\r\nHost: x\r\n");
  CHECK(half.closed_within(10s) == 1);
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  CHECK(half.received(0).empty());
}

TEST_CASE("a kept-alive connection may idle past the header timeout, then has it for its next request",
          "[http][limits]") {
  ServerOptions options;
  options.header_timeout = 300ms;
  const RunningServer server(std::move(options));
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect(server.endpoint());
  std::string received;
  const auto ask = [&] {
    boost::asio::write(socket, boost::asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")));
    received.clear();
    boost::asio::read_until(socket, boost::asio::dynamic_buffer(received), "\r\n\r\nhi\n");
    return received;
  };
  CHECK_THAT(ask(), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  std::this_thread::sleep_for(900ms);  // idle: three header timeouts
  CHECK_THAT(ask(), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  // Half of a next request: dropped once its header timeout is over.
  boost::asio::write(socket, boost::asio::buffer(std::string("GET /hello HTTP/1.1\r\n")));
  received.clear();
  boost::system::error_code error;
  boost::asio::read(socket, boost::asio::dynamic_buffer(received), error);
  CHECK(error == boost::asio::error::eof);
  CHECK(received.empty());
}

TEST_CASE("300 connections with half a request each are all dropped after the header timeout", "[http][limits]") {
  ServerOptions options;
  options.header_timeout = 500ms;
  options.max_connections = 400;  // the cap is another test's
  const RunningServer server(std::move(options));
  const auto start = std::chrono::steady_clock::now();
  RawClients attack(server.endpoint(), 300, "GET / HTTP/1.1\r\nHost: x\r\n");
  CHECK(attack.closed_within(30s) == 300);
  CHECK(std::chrono::steady_clock::now() - start >= 500ms);
  std::size_t answered = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    answered += attack.received(i).empty() ? 0 : 1;
  }
  CHECK(answered == 0);
  // And the server still answers.
  CHECK_THAT(exchange(server.endpoint(), get("/hello")), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("too large a header gets 431, too large a body 413, bytes that are not HTTP 400; each closes",
          "[http][limits]") {
  ServerOptions options;
  options.header_timeout = 2s;
  const RunningServer server(std::move(options));
  // A megabyte of header: the answer arrives whole, not cut by a reset.
  RawClients huge(server.endpoint(), 1,
                  "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n");
  CHECK(huge.closed_within(20s) == 1);
  CHECK_THAT(huge.received(0), Catch::StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n") &&
                                   Catch::Contains("Connection: close\r\n") &&
                                   Catch::EndsWith("request header too large: at most 8192 bytes are read\n"));
  // Just below the limit is fine.
  CHECK_THAT(exchange(server.endpoint(), "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(7000, 'a') +
                                             "\r\nConnection: close\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 200 OK\r\n"));

  RawClients body(server.endpoint(), 1, "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
  CHECK(body.closed_within(20s) == 1);
  CHECK_THAT(body.received(0), Catch::StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));

  RawClients garbage(server.endpoint(), 1, std::string("\x01\x02\x03\xff garbage\r\n\r\n", 16));
  CHECK(garbage.closed_within(20s) == 1);
  CHECK_THAT(garbage.received(0), Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n") &&
                                      Catch::Contains("Connection: close\r\n") && Catch::Contains("bad request: "));
  RawClients version(server.endpoint(), 1, "GET /hello HTTP/9.9\r\nHost: t\r\n\r\n");
  CHECK(version.closed_within(20s) == 1);
  CHECK_THAT(version.received(0), Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_CASE("over the connection cap a new connection is closed at once, and that logged once", "[http][limits]") {
  const sfcrimed::test::TempDir dir;
  sfcrimed::log::open_file(dir.file("log"));
  ServerOptions options;
  options.max_connections = 3;
  const RunningServer server(std::move(options));
  boost::asio::io_context io;
  std::vector<tcp::socket> open;
  for (int i = 0; i < 3; ++i) {
    open.emplace_back(io).connect(server.endpoint());
  }
  RawClients over(server.endpoint(), 3, "");
  CHECK(over.closed_within(10s) == 3);  // at once: the header timeout is 5 s
  CHECK(over.received(0).empty());

  // A connection that closes frees its place.
  open.front().close();
  std::string answer;
  for (int i = 0; i < 100 && answer.empty(); ++i) {
    std::this_thread::sleep_for(20ms);
    RawClients next(server.endpoint(), 1, get("/hello"));
    next.closed_within(10s);
    answer = next.received(0);
  }
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  sfcrimed::log::use_stderr();
  const std::string log = text_of(dir.file("log"));
  CHECK_THAT(log, Catch::Contains("refused 1 connection(s), the latest from 127.0.0.1: 3 are open"));
  CHECK(log.find("refused") == log.rfind("refused"));  // one line, however many were refused
}

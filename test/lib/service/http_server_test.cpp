#include "sfcrimed/http_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <thread>

using sfcrimed::http::Response;
using sfcrimed::http::Server;
using tcp = boost::asio::ip::tcp;

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
  RunningServer() : server_(io_, "127.0.0.1:0") {
    server_.route("/hello", [] { return Response{200, "text/plain", "hi\n"}; });
    server_.route("/down", [] { return Response{503, "text/plain", "not ready: starting\n"}; });
    server_.route("/throws", []() -> Response { throw std::runtime_error("broken handler"); });
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
  explicit EventReader(const tcp::endpoint& endpoint) : socket_(io_) {
    socket_.connect(endpoint);
    boost::asio::write(socket_, boost::asio::buffer(std::string("GET /events HTTP/1.1\r\nHost: test\r\n\r\n")));
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
  CHECK_THAT(missing, Catch::EndsWith("the paths served here are: /down /hello /throws /events\n"));
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

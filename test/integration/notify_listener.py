"""Stands in for systemd's notification socket: binds a datagram socket at argv[1] and
appends each message to argv[2], one line each ("+<seconds> READY=1|STATUS=..."), until
it is terminated. The daemon under test finds the socket through NOTIFY_SOCKET."""
import signal
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
start = time.monotonic()
with open(out, "a", buffering=1) as log:
    print("listening", file=log)
    while True:
        message = sock.recv(65536).decode()
        print(f"+{time.monotonic() - start:.3f} {message.replace(chr(10), '|')}", file=log)

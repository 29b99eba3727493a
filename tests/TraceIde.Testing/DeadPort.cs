using System.Net;
using System.Net.Sockets;

namespace TraceIde.Testing;

/// <summary>
/// A loopback port where nobody answers, for as long as this lives: a socket bound to a free port (port 0) that never
/// listens, so a connection is refused, and no other process can take the port meanwhile (as it could one that was
/// just freed).
/// </summary>
public sealed class DeadPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public DeadPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public string Url => $"http://127.0.0.1:{Port}";

    public void Dispose() => _socket.Dispose();
}

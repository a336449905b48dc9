package io.fleet.transport.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.schmizz.sshj.common.Buffer;

/**
 * A client of an ssh-agent's socket (the agent protocol of draft-miller-ssh-agent): lists the
 * agent's keys and asks it to sign. The private keys never leave the agent.
 */
public final class SshAgent {
  private static final byte REQUEST_IDENTITIES = 11;
  private static final byte IDENTITIES_ANSWER = 12;
  private static final byte SIGN_REQUEST = 13;
  private static final byte SIGN_RESPONSE = 14;
  private static final int RSA_SHA2_256 = 2;
  private static final int MAX_MESSAGE = 256 * 1024;

  /** A key the agent holds: its public key blob and comment. */
  public static final class Identity {
    final byte[] blob;
    final String comment;
    final String keyType;

    Identity(byte[] blob, String comment) throws Buffer.BufferException {
      this.blob = blob;
      this.comment = comment;
      this.keyType = new Buffer.PlainBuffer(blob).readString();
    }

    /** The key type, such as {@code ssh-ed25519}. */
    public String keyType() {
      return keyType;
    }

    @Override
    public String toString() {
      return keyType + " " + comment;
    }
  }

  private final Path socket;

  /** The agent listening on {@code socket} (what {@code SSH_AUTH_SOCK} names). */
  public SshAgent(Path socket) {
    this.socket = socket;
  }

  /** The agent's socket. */
  public Path socket() {
    return socket;
  }

  /** The keys the agent holds. */
  public List<Identity> identities() throws IOException {
    Buffer.PlainBuffer reply = call(new byte[] {REQUEST_IDENTITIES});
    try {
      byte type = reply.readByte();
      if (type != IDENTITIES_ANSWER) {
        throw new IOException(
            "ssh-agent at " + socket + " refused to list its keys (" + type + ")");
      }
      int n = reply.readUInt32AsInt();
      List<Identity> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        byte[] blob = reply.readBytes();
        String comment = reply.readString(StandardCharsets.UTF_8);
        ids.add(new Identity(blob, comment));
      }
      return ids;
    } catch (Buffer.BufferException e) {
      throw new IOException("ssh-agent at " + socket + " sent a malformed key list", e);
    }
  }

  /**
   * The algorithm the agent signs with for {@code id}: {@code rsa-sha2-256} for RSA keys (servers
   * refuse SHA-1 {@code ssh-rsa}), the key type otherwise.
   */
  static String algorithm(Identity id) {
    return "ssh-rsa".equals(id.keyType) ? "rsa-sha2-256" : id.keyType;
  }

  /** The agent's signature blob ({@code string algorithm, string signature}) over {@code data}. */
  byte[] sign(Identity id, byte[] data) throws IOException {
    Buffer.PlainBuffer req = new Buffer.PlainBuffer();
    req.putByte(SIGN_REQUEST);
    req.putString(id.blob);
    req.putString(data);
    req.putUInt32("ssh-rsa".equals(id.keyType) ? RSA_SHA2_256 : 0);
    Buffer.PlainBuffer reply = call(req.getCompactData());
    try {
      byte type = reply.readByte();
      if (type != SIGN_RESPONSE) {
        throw new IOException(
            "ssh-agent at " + socket + " refused to sign with " + id + " (" + type + ")");
      }
      return reply.readBytes();
    } catch (Buffer.BufferException e) {
      throw new IOException("ssh-agent at " + socket + " sent a malformed signature", e);
    }
  }

  private Buffer.PlainBuffer call(byte[] message) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.allocate(4 + message.length);
      out.putInt(message.length).put(message).flip();
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ByteBuffer len = readFully(ch, 4);
      int n = len.getInt();
      if (n <= 0 || n > MAX_MESSAGE) {
        throw new IOException("ssh-agent at " + socket + " sent a message of " + n + " bytes");
      }
      ByteBuffer body = readFully(ch, n);
      return new Buffer.PlainBuffer(body.array());
    }
  }

  private ByteBuffer readFully(SocketChannel ch, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new IOException("ssh-agent at " + socket + " closed the connection");
      }
    }
    b.flip();
    return b;
  }
}

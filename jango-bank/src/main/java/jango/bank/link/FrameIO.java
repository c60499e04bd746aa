package jango.bank.link;

import jango.bank.telegram.MessageType;
import jango.bank.telegram.Telegram;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Reads and writes whole frames (length header + content) on a blocking socket channel; shared by both ends of a line. */
public final class FrameIO {
    private FrameIO() {
    }

    /** The next telegram, or an exception: EOF when the peer closed, TelegramException for bytes that break a layout. */
    public static Telegram read(SocketChannel channel) throws IOException {
        byte[] header = readFully(channel, MessageType.LENGTH_DIGITS);
        int length = Telegram.parseLength(header);
        return Telegram.parse(readFully(channel, length));
    }

    public static void write(SocketChannel channel, Telegram telegram) throws IOException {
        ByteBuffer frame = ByteBuffer.wrap(telegram.frame());
        while (frame.hasRemaining()) {
            channel.write(frame);
        }
    }

    private static byte[] readFully(SocketChannel channel, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("the line closed");
            }
        }
        return buffer.array();
    }
}

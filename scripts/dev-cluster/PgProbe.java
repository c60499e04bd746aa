// Runs SELECT 1 over JDBC: java -cp postgresql.jar PgProbe.java 'jdbc:postgresql://...'
// (single-file source launch; used by scripts/dev-cluster-smoke.sh when psql is absent)
import java.sql.DriverManager;

public class PgProbe {
  public static void main(String[] args) throws Exception {
    try (var c = DriverManager.getConnection(args[0]);
         var rs = c.createStatement().executeQuery("SELECT 1, version()")) {
      rs.next();
      System.out.println("SELECT 1 -> " + rs.getInt(1) + " (" + rs.getString(2) + ")");
      if (rs.getInt(1) != 1) System.exit(1);
    }
  }
}

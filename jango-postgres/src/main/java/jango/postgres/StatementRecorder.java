package jango.postgres;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;

/**
 * A pooled connection as a unit of work sees it, remembering the text of the statement it prepared
 * last, so a statement that fails on a bug can be named in the log. Every statement of this module
 * is prepared, run and closed before the next is prepared, so the last one prepared is the one
 * that failed, unless the commit itself failed (a deferred constraint), which is named COMMIT.
 * Only the text is kept (with its ? placeholders), never the values bound to it.
 */
final class StatementRecorder implements InvocationHandler {
    private final Connection target;
    private final Connection proxy;
    private String lastStatement;

    StatementRecorder(Connection target) {
        this.target = target;
        this.proxy = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, this);
    }

    Connection connection() {
        return proxy;
    }

    String lastStatement() {
        return lastStatement;
    }

    @Override
    public Object invoke(Object unused, Method method, Object[] args) throws Throwable {
        if (args != null && args.length > 0 && args[0] instanceof String sql && method.getName().startsWith("prepare")) {
            lastStatement = sql;
        } else if (method.getName().equals("commit")) {
            lastStatement = "COMMIT";
        }
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}

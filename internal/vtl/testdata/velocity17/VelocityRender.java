// VelocityRender renders templates with Apache Velocity 1.7 configured as API Gateway runs it
// (a null reference prints as nothing), so that Portico's engine can be compared with it.
//
// Usage: java -cp velocity-1.7.jar:commons-collections3.jar:commons-lang.jar:. VelocityRender DIR
// For each DIR/NAME.vtl (with optional DIR/NAME.json holding the variables as a JSON object) it
// writes DIR/NAME.out, or DIR/NAME.err naming the exception.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;
import org.apache.velocity.app.event.EventCartridge;
import org.apache.velocity.app.event.ReferenceInsertionEventHandler;

public class VelocityRender {
    public static class NullAsEmpty implements ReferenceInsertionEventHandler {
        public Object referenceInsert(String reference, Object value) {
            return value == null ? "" : value;
        }
    }

    public static void main(String[] args) throws Exception {
        VelocityEngine ve = new VelocityEngine();
        ve.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
        // Each template's macros are its own, as each API Gateway template's are.
        ve.setProperty("velocimacro.permissions.allow.inline.local.scope", "true");
        ve.init();
        File dir = new File(args[0]);
        File[] files = dir.listFiles((d, n) -> n.endsWith(".vtl"));
        Arrays.sort(files);
        for (File f : files) {
            String base = f.getPath().substring(0, f.getPath().length() - 4);
            String src = new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
            VelocityContext ctx = new VelocityContext();
            File vars = new File(base + ".json");
            if (vars.exists()) {
                Object v = new Json(new String(Files.readAllBytes(vars.toPath()), StandardCharsets.UTF_8)).value();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    ctx.put((String) e.getKey(), e.getValue());
                }
            }
            EventCartridge ec = new EventCartridge();
            ec.addEventHandler(new NullAsEmpty());
            ec.attachToContext(ctx);
            StringWriter w = new StringWriter();
            try {
                ve.evaluate(ctx, w, "t", src);
                Files.write(Paths.get(base + ".out"), w.toString().getBytes(StandardCharsets.UTF_8));
            } catch (Throwable t) {
                Files.write(Paths.get(base + ".err"), t.getClass().getName().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    // Json is a small JSON reader: objects become LinkedHashMap, arrays ArrayList, integral
    // numbers Integer or Long, other numbers Double.
    static class Json {
        final String s;
        int i;

        Json(String s) { this.s = s; }

        void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    ws();
                    String k = (String) value();
                    ws(); i++; // ':'
                    m.put(k, value());
                    ws();
                    if (s.charAt(i++) == '}') return m;
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i++) == ']') return l;
                }
            }
            if (c == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (s.charAt(i) != '"') {
                    char d = s.charAt(i++);
                    if (d == '\\') {
                        char e = s.charAt(i++);
                        switch (e) {
                            case 'n': b.append('\n'); break;
                            case 't': b.append('\t'); break;
                            case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                            default: b.append(e);
                        }
                    } else {
                        b.append(d);
                    }
                }
                i++;
                return b.toString();
            }
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            int st = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String n = s.substring(st, i);
            if (n.contains(".") || n.contains("e") || n.contains("E")) return Double.valueOf(n);
            long v = Long.parseLong(n);
            if (v == (int) v) return Integer.valueOf((int) v);
            return Long.valueOf(v);
        }
    }
}

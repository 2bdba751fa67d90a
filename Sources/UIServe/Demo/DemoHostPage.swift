import BundleIndex

/// The demo host application page served at `/` by the embedded-default run: it embeds the demo
/// extension in `<iframe sandbox="allow-scripts">` (no same-origin) and shows what it posts.
enum DemoHostPage {
    static func html(extensionID: String, hash: ContentHash) -> String {
        let src = "/ext-ui/\(extensionID)/\(hash)/"
        return """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>uiserve demo host</title>
              <style>
                body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
                iframe { width: 100%; height: 360px; border: 1px solid #c9ced9; border-radius: 6px; }
                #messages { font-family: ui-monospace, monospace; background: #f3f4f8; padding: .75rem; border-radius: 6px; white-space: pre-wrap; }
              </style>
            </head>
            <body>
              <h1>uiserve demo host</h1>
              <p>The extension <code>\(extensionID)</code> at <code>\(hash)</code>, in a sandboxed iframe (<code>allow-scripts</code> only).</p>
              <iframe id="extension" sandbox="allow-scripts" src="\(src)" title="extension UI"></iframe>
              <h2>Messages from the extension</h2>
              <div id="messages">waiting…</div>
              <script>
                const frame = document.getElementById('extension');
                const out = document.getElementById('messages');
                window.uiserveMessages = [];
                window.addEventListener('message', (event) => {
                  if (event.source !== frame.contentWindow) return;
                  window.uiserveMessages.push(event.data);
                  out.textContent = window.uiserveMessages.map((m) => JSON.stringify(m)).join('\\n');
                  if (event.data && event.data.type === 'uiserve-demo:ready') document.title = 'ready';
                });
              </script>
            </body>
            </html>
            """
    }
}

"""The page's inline stylesheet and script, and the Content-Security-Policy that allows exactly them.

The policy loads nothing from anywhere (``default-src 'none'``); the one ``<style>`` and the one ``<script>``
run because their SHA-256 hashes are listed; any other script (a ``<script>`` smuggled into a report, an event
handler attribute, a ``javascript:`` URL) is refused by the browser even if escaping ever failed.
"""

from __future__ import annotations

import base64
import hashlib

# Marks, tooltips, rules and tables: all that a test's section needs, also inside a pytest-html extra.
REPORT_CSS = """
.chimera-report{--ok:#1e6b34;--bad:#b3261e;--warn:#7a5200;--muted:#5f6368}
.chimera-report .report-body{border:1px solid #d0d7de;border-radius:6px;padding:0 1rem;background:#fff;
 overflow-wrap:anywhere}
.chimera-report .report-body pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
.chimera-report table{border-collapse:collapse;margin:.5rem 0}
.chimera-report th,.chimera-report td{border:1px solid #d0d7de;padding:.2rem .45rem;text-align:left;
 vertical-align:top}
.chimera-report th{background:#f4f5f7}
.chimera-report .align-right{text-align:right}
.chimera-report .align-center{text-align:center}
.chimera-report td.n{text-align:right;font-variant-numeric:tabular-nums}
.numwrap{position:relative;display:inline}
.num{padding:0 .1em;border-radius:3px;color:inherit;background:none;text-underline-offset:.2em}
.num:focus-visible{outline:3px solid #1a4fd6;outline-offset:1px}
.num .icon{font-size:.75em;font-weight:700;margin-left:.1em;vertical-align:super}
.v-supported{background:#e3f2e6;text-decoration:underline solid var(--ok,#1e6b34) 2px}
.v-supported .icon{color:var(--ok,#1e6b34)}
.v-contradicted{background:#fbe0e0;text-decoration:underline wavy var(--bad,#b3261e) 2px}
.v-contradicted .icon{color:var(--bad,#b3261e)}
.v-unverified{background:#fff1cc;text-decoration:underline dashed var(--warn,#7a5200) 2px}
.v-unverified .icon{color:var(--warn,#7a5200)}
.v-not-checked{text-decoration:underline dotted #80868b 1px}
.v-not-checked .icon{color:#5f6368}
.tip{display:none;position:absolute;left:0;top:1.5em;z-index:30;width:max-content;max-width:min(30rem,80vw);
 background:#1f2328;color:#fff;padding:.45rem .6rem;border-radius:6px;font:400 .85rem/1.35 system-ui,sans-serif;
 white-space:normal;text-align:left;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.tip b{color:#fff}
.tip .tip-line{display:block}
.numwrap:hover>.tip,.num:focus+.tip{display:block}
.num.tip-off+.tip{display:none}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.rules{list-style:none;padding-left:0}
.rules li{margin:.15rem 0}
.pass{color:var(--ok,#1e6b34);font-weight:600}
.fail{color:var(--bad,#b3261e);font-weight:600}
.note{color:var(--muted,#5f6368)}
"""

PAGE_CSS = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:84rem;margin:0 auto;padding:1rem 1.25rem 4rem}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
a{color:#0b57d0}
a:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}
[hidden]{display:none!important}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem;z-index:40}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.5rem 1rem 1rem;margin:1rem 0}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;list-style:none}
.filter{margin:.5rem 0;font-weight:600}
.filter input{width:1.1rem;height:1.1rem;vertical-align:-.15rem;margin-right:.35rem}
table.summary,table.data,table.compare{border-collapse:collapse;width:100%;background:#fff}
.summary th,.summary td,.data th,.data td,.compare th,.compare td{border:1px solid #d0d7de;padding:.3rem .5rem;
 text-align:left}
.summary th,.data th,.compare th{background:#f4f5f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.failing td:first-child{border-left:4px solid #b3261e}
.regression td{background:#fdecec}
.badge{display:inline-block;padding:0 .35rem;border-radius:4px;font-size:.85rem;font-weight:700}
.badge.bad{background:#b3261e;color:#fff}
.badge.good{background:#1e6b34;color:#fff}
.badge.warn{background:#7a5200;color:#fff}
.scroll{overflow-x:auto}
.summary{font-size:.92rem}
.summary th[scope=row]{overflow-wrap:break-word;min-width:12rem;max-width:26rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,34rem),1fr));gap:1rem}
figure{margin:0}
figcaption{font-weight:600}
svg.chart{max-width:100%;height:auto;background:#fff}
svg.swatch{vertical-align:-2px;margin-right:.3rem}
details>summary{cursor:pointer}
.meta{color:#5f6368;margin:.2rem 0}
"""

SCRIPT = """(function(){
var d=document;d.documentElement.setAttribute("data-chimera-ready","1");
var box=d.getElementById("only-failures"),status=d.getElementById("filter-status");
function apply(){var only=!!(box&&box.checked),shown=0,total=0;
d.querySelectorAll("[data-failing]").forEach(function(el){el.hidden=only&&el.getAttribute("data-failing")!=="true";});
d.querySelectorAll("#summary-table tbody tr[data-failing]").forEach(function(tr){total++;if(!tr.hidden)shown++;});
if(status)status.textContent=only?"Showing "+shown+" of "+total+" tests: only those with failures.":
"Showing all "+total+" tests.";}
if(box){box.addEventListener("change",apply);apply();}
d.addEventListener("keydown",function(e){if(e.key!=="Escape")return;
d.querySelectorAll(".num:focus,.numwrap:hover>.num").forEach(function(m){m.classList.add("tip-off");});});
function reset(e){var t=e.target,c=t&&t.classList;if(!c)return;
var m=c.contains("num")?t:(c.contains("numwrap")?t.firstElementChild:null);if(m)m.classList.remove("tip-off");}
d.addEventListener("mouseleave",reset,true);d.addEventListener("blur",reset,true);
})();"""


def sha256_source(text: str) -> str:
    """The CSP source for an inline element whose content is exactly ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def page_css() -> str:
    return PAGE_CSS + REPORT_CSS


def csp(style: str, script: str) -> str:
    """The page's policy: nothing loads, only the given inline style and script run."""
    return (f"default-src 'none'; style-src {sha256_source(style)}; script-src {sha256_source(script)}; "
            "img-src data:; base-uri 'none'; form-action 'none'")

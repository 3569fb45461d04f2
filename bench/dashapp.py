"""A live dashboard none of us wrote the front end of: a Plotly Dash app (React,
plotly.js charts in SVG, Dash's DataTable, dropdowns, a slider, tabs), served by
bench/harness.py's PageServer under /dash/ through Flask's WSGI test client, in
process. Prices tick four times a second from Dash callbacks on the server, as
such dashboards poll; the values follow from the tick count alone, so every
variant of a visit sees the same numbers at the same tick."""
import math
from functools import lru_cache

INSTRUMENTS = ["EURUSD", "GBPUSD", "BTCUSD", "AAPL", "MSFT", "GOLD"]
DESKS = ["Rates", "FX", "Equities", "Commodities", "Crypto"]


def price(inst: int, n: int) -> float:
    base = 100 + 37 * inst
    return round(base + 4 * math.sin(n / (9 + inst)) + 1.5 * math.sin(n * 0.61 + inst) + 0.4 * math.sin(n * 2.3), 4)


def positions(n: int) -> list[dict]:
    rows = []
    for i in range(40):
        inst = i % len(INSTRUMENTS)
        qty = (i * 37) % 900 + 100
        p = price(inst, n)
        rows.append({"id": i, "book": f"B-{1000 + i * 7}", "desk": DESKS[i % len(DESKS)], "instrument": INSTRUMENTS[inst],
                     "qty": qty, "price": round(p, 2), "pnl": round(qty * (p - price(inst, 0)), 2)})
    return rows


@lru_cache(maxsize=1)
def app(placeholder: str):
    from dash import Dash, Input, Output, dash_table, dcc, html

    dash = Dash(__name__, url_base_pathname="/dash/", serve_locally=True, title="Desk monitor")
    dash.index_string = ("<!DOCTYPE html><html><head>" + placeholder + "{%metas%}<title>{%title%}</title>{%favicon%}{%css%}"
                         "</head><body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body></html>")
    dash.layout = html.Div(style={"fontFamily": "sans-serif", "margin": "0 24px"}, children=[
        html.H1("Desk monitor"),
        dcc.Interval(id="tick", interval=250),
        dcc.Tabs(id="tabs", value="live", children=[
            dcc.Tab(label="Live", value="live", children=[
                html.Div(style={"display": "flex", "gap": "24px", "alignItems": "center"}, children=[
                    html.Div(style={"width": "260px"}, children=[
                        html.Label("Instrument"),
                        dcc.Dropdown(id="inst", options=INSTRUMENTS, value="EURUSD", clearable=False),
                    ]),
                    html.Div(style={"width": "360px"}, children=[
                        html.Label("Window (ticks)"),
                        dcc.Slider(id="window", min=20, max=200, step=20, value=80),
                    ]),
                    html.Div(id="last", className="last"),
                ]),
                dcc.Graph(id="chart", style={"height": "420px"}),
            ]),
            dcc.Tab(label="Positions", value="positions", children=[
                dash_table.DataTable(
                    id="table", page_size=15, sort_action="native", filter_action="native", editable=True,
                    columns=[{"name": c.title(), "id": c} for c in ("book", "desk", "instrument", "qty", "price", "pnl")],
                    style_data_conditional=[{"if": {"filter_query": "{pnl} < 0", "column_id": "pnl"}, "color": "crimson"}],
                ),
            ]),
        ]),
        html.P("Prices are simulated.", style={"color": "#777"}),
    ])

    @dash.callback(Output("chart", "figure"), Output("last", "children"),
                   Input("tick", "n_intervals"), Input("inst", "value"), Input("window", "value"))
    def chart(n, inst, window):
        n, k = n or 0, INSTRUMENTS.index(inst)
        xs = list(range(max(0, n - window), n + 1))
        ys = [price(k, x) for x in xs]
        change = ys[-1] - price(k, max(0, n - 4))
        fig = {"data": [{"x": xs, "y": ys, "type": "scatter", "mode": "lines", "name": inst}],
               "layout": {"margin": {"l": 50, "r": 20, "t": 30, "b": 40}, "title": {"text": f"{inst} last {window} ticks"},
                          "uirevision": inst, "xaxis": {"title": {"text": "tick"}}}}
        return fig, f"{inst} {ys[-1]:.4f} ({change:+.4f})"

    @dash.callback(Output("table", "data"), Input("tick", "n_intervals"))
    def table(n):
        return positions((n or 0) // 4 * 4)  # the book revalues once a second

    return dash


@lru_cache(maxsize=1)
def client(placeholder: str):
    return app(placeholder).server.test_client()

"""A device written with Eclipse paho-mqtt 1.6 (Debian's python3-paho-mqtt), configured the
mosquitto way: host, port, websocket path, client id, user name and password. It refuses a
wrong password, then follows the AWS shadow flow and prints what it saw as JSON."""
import json
import sys
import threading
import urllib.request

import paho.mqtt.client as mqtt

host, port, device, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
prefix = f"$aws/things/{device}/shadow"


def client():
    c = mqtt.Client(client_id=device, transport="websockets")
    c.ws_set_options(path="/mqtt")
    return c


# 1. A wrong password: CONNACK 5 (not authorized).
bad = client()
bad.username_pw_set(device, "wrong")
bad_rc = {}
done = threading.Event()
bad.on_connect = lambda c, u, f, rc: (bad_rc.setdefault("rc", rc), done.set())
bad.connect(host, port, keepalive=30)
bad.loop_start()
done.wait(10)
bad.loop_stop()

# 2. The shadow: get the delta the app set, report it, see update/accepted.
seen = {}
events = {"delta": threading.Event(), "accepted": threading.Event(), "subscribed": threading.Event()}


def on_message(c, u, msg):
    body = json.loads(msg.payload.decode())
    if msg.topic == f"{prefix}/update/delta":
        seen["delta"] = body
        events["delta"].set()
    elif msg.topic == f"{prefix}/update/accepted" and "reported" in body.get("state", {}):
        seen["accepted"] = body
        events["accepted"].set()


good = client()
good.username_pw_set(device, token)
good.on_message = on_message
good.on_subscribe = lambda c, u, mid, qos: events["subscribed"].set()
good.connect(host, port, keepalive=30)
good.loop_start()
good.subscribe(f"{prefix}/update/#", qos=1)
events["subscribed"].wait(10)

# The app side sets desired over REST with the device's own token.
req = urllib.request.Request(
    f"http://{host}:{port}/v1/devices/{device}/shadow",
    data=json.dumps({"state": {"desired": {"mode": "auto"}}}).encode(),
    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    method="POST",
)
urllib.request.urlopen(req, timeout=10).read()
events["delta"].wait(10)
good.publish(f"{prefix}/update", json.dumps({"state": {"reported": seen.get("delta", {}).get("state", {})}}), qos=1)
events["accepted"].wait(10)
good.disconnect()
good.loop_stop()

print(json.dumps({"bad_rc": bad_rc.get("rc"), "delta": seen.get("delta"), "accepted": seen.get("accepted")}))

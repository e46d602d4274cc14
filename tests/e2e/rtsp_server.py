#!/usr/bin/python3
# A small RTSP server for the agent's e2e test (GStreamer's RTSP server
# library): serves an H.264 MP4 file at rtsp://127.0.0.1:PORT/cam, RTP over
# TCP or UDP, like an IP camera. Usage: rtsp_server.py PORT CLIP.mp4
# Runs with Debian's python3 (python3-gi, gir1.2-gst-rtsp-server-1.0).
import sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib

Gst.init(None)
port, clip = sys.argv[1], sys.argv[2]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
# config-interval=-1: SPS/PPS before every keyframe, as cameras send them.
factory.set_launch("( filesrc location=%s ! qtdemux ! h264parse config-interval=-1 "
                   "! rtph264pay name=pay0 pt=96 )" % clip)
factory.set_shared(True)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit("rtsp_server: cannot listen on port " + port)
print("ready", flush=True)
GLib.MainLoop().run()

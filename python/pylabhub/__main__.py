"""python3 -m pylabhub: recordings to HDF5/CSV, channels, versions."""
from __future__ import annotations

import argparse
import sys
import warnings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m pylabhub", description="pyLabHub from Python (docs/python.md).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser("export", help="a recording into HDF5 (and/or CSV)",
                                 description="Writes a recording's records, sequence ids and times into HDF5 with h5py "
                                             "(the schema and channel config as attributes), or CSV with --csv.")
    export.add_argument("recording", help="a .plhrec file the recorder wrote")
    export.add_argument("out", help="the HDF5 file to write (.h5), or the CSV file with --csv")
    export.add_argument("--csv", action="store_true", help="write CSV instead of HDF5")
    export.add_argument("--skip-corrupt", action="store_true", help="leave corrupt records out instead of stopping")
    listing = commands.add_parser("channels", help="the channels a broker knows")
    listing.add_argument("--broker", help="broker endpoint (default: this user's)")
    commands.add_parser("version", help="the version of the module")
    args = parser.parse_args(argv)

    import pylabhub
    try:
        if args.command == "export":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pylabhub.RecordingWarning)
                recording = pylabhub.read_recording(args.recording, on_corrupt="skip" if args.skip_corrupt else "raise")
            for w in caught:
                print(f"warning: {w.message}", file=sys.stderr)
            if args.csv:
                pylabhub.export_csv(recording, args.out)
            else:
                pylabhub.export_hdf5(recording, args.out)
            print(f"{args.out}: {len(recording)} records of channel '{recording.channel}'")
        elif args.command == "channels":
            for c in pylabhub.channels(args.broker):
                schema = c["schema"]
                print(f"{c['channel']:<24} {schema['name'] or '-':<24} {len(c['consumers'])} consumer(s)  pid {c['producer_pid']}")
        else:
            print(pylabhub.__version__)
    except (pylabhub.Error, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A recording into numpy, and on into HDF5.

  build/bin/pylabhub run examples/python/pipeline.yaml --duration 3
  PYTHONPATH=build/python /usr/bin/python3 examples/python/recording_to_numpy.py /tmp/thermo.plhrec
"""
import sys
import pylabhub

recording = pylabhub.read_recording(sys.argv[1])       # checksums verified; memory-mapped when it can be
print(len(recording), "records of", recording.channel, "as", recording.dtype)
print("first at", recording.times[0], "UTC; mean kelvin", recording.data["kelvin"].mean(axis=0))
pylabhub.export_hdf5(recording, "/tmp/thermo.h5")      # or: python3 -m pylabhub export REC out.h5

"""Deterministic, entirely synthetic demo data for the juvenile-justice case tracker.

The generator (:mod:`.generator`) produces one calendar year (2021) of juvenile
prosecution work for the procuratorates of Jining City (济宁市), Shandong, shaped
on the aggregate figures the city published for that year.  Unit names, court
codes and administrative-division codes are real public facts (:mod:`.units`);
every person, name, ID number, phone number and address is invented.
Demo accounts live in :mod:`.users`.
"""
